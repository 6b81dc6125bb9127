using System.Text.Json;
using System.Text.Json.Serialization;

namespace Touchpoints.Functions.Hosting;

/// <summary>Every API error has this shape: a stable code (<c>not_found</c>, <c>bad_request</c>, …) and a message for people.</summary>
public sealed record ApiError(string Error, string Message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ApiError))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
