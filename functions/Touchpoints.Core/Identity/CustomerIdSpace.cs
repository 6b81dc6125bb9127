using System.Globalization;

namespace Touchpoints.Core.Identity;

/// <summary>
/// Customer ids as points of a hash space: <c>c-</c> and the hex of a SHA-256 prefix (<see cref="IdentityResolver.NewCustomerId(Identifier)"/>),
/// spread uniformly and independent of anything a rule reads. The ids that follow a random point are therefore a random
/// sample of customers, and the share of the space they span tells how many customers there are — without counting them.
/// </summary>
public static class CustomerIdSpace
{
    /// <summary>A random point of the space, as an id prefix to compare ids with (ordinal order is numeric order).</summary>
    public static string RandomPoint(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var point = new byte[8];
        random.NextBytes(point);
        return "c-" + Convert.ToHexStringLower(point);
    }

    /// <summary>Where an id sits in the space (its first 16 hex digits); null for an id of another form.</summary>
    public static ulong? Position(string id) =>
        id is { Length: >= 18 } && id.StartsWith("c-", StringComparison.Ordinal)
        && ulong.TryParse(id.AsSpan(2, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var position)
            ? position
            : null;

    /// <summary>
    /// How many ids there are, given that the <paramref name="n"/> ids following <paramref name="start"/> (in order,
    /// wrapping past the end when <paramref name="wrapped"/>) end at <paramref name="last"/>: (n − 1) over the share of the
    /// space they span (unbiased for uniform points: the n-th point's share is Gamma(n)-distributed; relative error about
    /// 1/√n). Null when an id is not of the hashed form, or for fewer than two ids.
    /// </summary>
    public static long? EstimateCount(string start, string last, int n, bool wrapped)
    {
        if (n < 2 || Position(start) is not { } from || Position(last) is not { } to) return null;
        var span = wrapped || to < from ? ulong.MaxValue - from + to : to - from;
        var share = (span + 1d) / ulong.MaxValue;
        return (long)Math.Round((n - 1) / share);
    }
}
