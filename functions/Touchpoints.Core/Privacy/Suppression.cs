using System.Security.Cryptography;
using System.Text;

namespace Touchpoints.Core.Privacy;

/// <summary>
/// The suppression list's entries: a keyed hash (HMAC-SHA256 with the deployment's salt) of an erased person's identifier
/// key, so the list never holds the identifier itself and cannot be reversed by hashing guesses without the salt.
/// </summary>
public static class Suppression
{
    public static string HashOf(string salt, string identifierKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(salt);
        ArgumentNullException.ThrowIfNull(identifierKey);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(salt), Encoding.UTF8.GetBytes(identifierKey));
        return Convert.ToHexStringLower(mac.AsSpan(0, 20));
    }
}
