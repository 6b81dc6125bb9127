using Touchpoints.Core.Identity;
using Xunit.Abstractions;

namespace Touchpoints.Core.Tests.Identity;

public sealed class CustomerIdSpaceTests(ITestOutputHelper output)
{
    /// <summary>Ids as ingestion derives them, for <paramref name="count"/> people, in the store's (ordinal) order.</summary>
    private static string[] Ids(int count) =>
        [.. Enumerable.Range(0, count).Select(i => IdentityResolver.NewCustomerId(Identifier.TryParseKey($"userId:person-{i}")!).Value).Order(StringComparer.Ordinal)];

    /// <summary>The n ids that follow a point, wrapping past the end, as the store's sample query returns them.</summary>
    private static (string[] Sample, bool Wrapped) Following(string[] ids, string start, int n)
    {
        var after = ids.Where(id => string.CompareOrdinal(id, start) >= 0).Take(n).ToArray();
        return after.Length == n ? (after, false) : ([.. after, .. ids.Where(id => string.CompareOrdinal(id, start) < 0).Take(n - after.Length)], true);
    }

    [Fact]
    public void The_ids_following_a_random_point_estimate_how_many_customers_there_are_within_a_few_percent()
    {
        const int Seed = 20261201;
        output.WriteLine($"seed {Seed}");
        var random = new Random(Seed);
        var ids = Ids(20_000);
        var errors = new List<double>();
        for (var draw = 0; draw < 200; draw++)
        {
            var start = CustomerIdSpace.RandomPoint(random);
            var (sample, wrapped) = Following(ids, start, 400);
            var estimate = CustomerIdSpace.EstimateCount(start, sample[^1], sample.Length, wrapped);
            Assert.NotNull(estimate);
            var error = (estimate.Value - ids.Length) / (double)ids.Length;
            // 400 ids: a relative standard error of 1/√400 = 5 %; six of them never happen by chance.
            Assert.InRange(error, -0.3, 0.3);
            errors.Add(error);
        }
        // Unbiased: over 200 draws the mean error is within a few standard errors of the mean (5 % / √200 ≈ 0.35 %).
        output.WriteLine($"mean error {errors.Average():P2}, worst {errors.Max(Math.Abs):P2}");
        Assert.InRange(errors.Average(), -0.015, 0.015);
    }

    [Fact]
    public void A_sample_that_wraps_past_the_end_of_the_space_is_measured_across_it()
    {
        var ids = Ids(5_000);
        var start = ids[^3];
        var (sample, wrapped) = Following(ids, start, 300);

        Assert.True(wrapped);
        var estimate = CustomerIdSpace.EstimateCount(start, sample[^1], sample.Length, wrapped)!.Value;
        Assert.InRange(estimate, 3_500, 6_500);
    }

    [Fact]
    public void Ids_of_another_form_give_no_estimate_rather_than_a_wrong_one()
    {
        Assert.Null(CustomerIdSpace.Position("c-ann"));
        Assert.Null(CustomerIdSpace.EstimateCount("c-0000000000000000", "c-ann", 10, wrapped: false));
        Assert.Null(CustomerIdSpace.EstimateCount("c-0000000000000000", "c-8000000000000000", 1, wrapped: false));
        Assert.Equal(0x8000000000000000UL, CustomerIdSpace.Position("c-8000000000000000abcd"));
    }
}
