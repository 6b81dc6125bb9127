using System.Text;
using System.Text.Json;

namespace Touchpoints.Functions.Console;

/// <summary>
/// The console's app roles (Entra ID app roles <c>agent</c>, <c>marketer</c>, <c>admin</c>), each including the one below:
/// an agent finds customers and reads their 360; a marketer also works on the rules and reads their statistics; an admin
/// also runs privacy and identity operations.
/// </summary>
public enum ConsoleRole { Agent = 1, Marketer = 2, Admin = 3 }

/// <summary>Who is signed in to the console, and with which role.</summary>
public sealed record ConsoleUser(string Name, ConsoleRole Role)
{
    /// <summary>Signed in by the development sign-in (locally), not by Entra ID.</summary>
    public bool Development { get; init; }

    /// <summary>What App Service authentication puts on every request it lets through (and strips from what clients send).</summary>
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>The development sign-in's cookie: the role picked (locally only).</summary>
    public const string DevelopmentCookie = "tp-console-role";

    public bool Can(ConsoleRole needed) => Role >= needed;

    /// <summary>
    /// The user of a request: App Service authentication's principal when the platform vouches for it, else the development
    /// sign-in's cookie when that is enabled, else nobody.
    /// </summary>
    public static ConsoleUser? Of(HttpRequest request, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        if (options.TrustPlatformPrincipal && request.Headers[PrincipalHeader].ToString() is { Length: > 0 } header) return FromPrincipal(header);
        if (options.DevelopmentSignIn && Enum.TryParse<ConsoleRole>(request.Cookies[DevelopmentCookie], ignoreCase: true, out var role) && Enum.IsDefined(role))
            return new ConsoleUser($"{RoleName(role)} (development sign-in)", role) { Development = true };
        return null;
    }

    /// <summary>
    /// <c>X-MS-CLIENT-PRINCIPAL</c>: base64 of <c>{"auth_typ", "name_typ", "role_typ", "claims": [{"typ", "val"}]}</c>. The
    /// highest console role among the role claims; null without one (signed in, but not a console user).
    /// </summary>
    public static ConsoleUser? FromPrincipal(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        try
        {
            using var json = JsonDocument.Parse(Convert.FromBase64String(header));
            var root = json.RootElement;
            var roleType = root.TryGetProperty("role_typ", out var rt) && rt.GetString() is { Length: > 0 } r ? r : "roles";
            var nameType = root.TryGetProperty("name_typ", out var nt) && nt.GetString() is { Length: > 0 } n ? n : "name";
            string? name = null;
            ConsoleRole? best = null;
            foreach (var claim in root.GetProperty("claims").EnumerateArray())
            {
                var type = claim.GetProperty("typ").GetString();
                var value = claim.GetProperty("val").GetString();
                if (type == nameType || type == "name") name ??= value;
                if ((type == roleType || type == "roles") && Enum.TryParse<ConsoleRole>(value, ignoreCase: true, out var role) && Enum.IsDefined(role)
                    && (best is null || role > best)) best = role;
            }
            return best is { } granted ? new ConsoleUser(name ?? "signed in", granted) : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public static string RoleName(ConsoleRole role) => role switch
    {
        ConsoleRole.Agent => "agent",
        ConsoleRole.Marketer => "marketer",
        _ => "admin",
    };

    /// <summary>A principal header as App Service writes it (for tests and tools).</summary>
    public static string Principal(string name, params string[] roles) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new PrincipalBody("aad", "name", "roles",
            [new PrincipalClaim("name", name), .. roles.Select(r => new PrincipalClaim("roles", r))]), ConsoleJsonContext.Default.PrincipalBody)));
}

public sealed record PrincipalClaim([property: System.Text.Json.Serialization.JsonPropertyName("typ")] string Type, [property: System.Text.Json.Serialization.JsonPropertyName("val")] string Value);

public sealed record PrincipalBody(
    [property: System.Text.Json.Serialization.JsonPropertyName("auth_typ")] string AuthType,
    [property: System.Text.Json.Serialization.JsonPropertyName("name_typ")] string NameType,
    [property: System.Text.Json.Serialization.JsonPropertyName("role_typ")] string RoleType,
    [property: System.Text.Json.Serialization.JsonPropertyName("claims")] IReadOnlyList<PrincipalClaim> Claims);

[System.Text.Json.Serialization.JsonSerializable(typeof(PrincipalBody))]
public sealed partial class ConsoleJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
