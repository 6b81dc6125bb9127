using System.Text.Json;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Identity;

public sealed class CustomerIdTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_customer_id_is_stored_as_the_plain_string_it_was_before_it_had_a_type()
    {
        var view = CustomerView.Create(new CustomerId("c-ann"), T0) with { MergedInto = new CustomerId("c-bob"), MergedFrom = [new CustomerId("c-old")] };

        var json = JsonSerializer.Serialize(view, CoreJsonContext.Default.CustomerView);

        using var doc = JsonDocument.Parse(json);
        Assert.Equal("c-ann", doc.RootElement.GetProperty("id").GetString());
        Assert.Equal("c-bob", doc.RootElement.GetProperty("mergedInto").GetString());
        Assert.Equal("c-old", doc.RootElement.GetProperty("mergedFrom")[0].GetString());
        var back = JsonSerializer.Deserialize(json, CoreJsonContext.Default.CustomerView)!;
        Assert.Equal(new CustomerId("c-ann"), back.Id);
        Assert.Equal(new CustomerId("c-bob"), back.MergedInto);
    }

    [Fact]
    public void A_document_with_an_empty_customer_id_is_refused_instead_of_read_as_a_customer()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"id":"","createdAt":"2026-01-05T09:00:00Z"}""", CoreJsonContext.Default.CustomerView));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"id":42,"createdAt":"2026-01-05T09:00:00Z"}""", CoreJsonContext.Default.CustomerView));
    }

    [Fact]
    public void A_missing_customer_id_reads_as_the_default_which_says_so_and_refuses_to_be_used()
    {
        // A document whose customer id is required does not read at all without one...
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"lastVersion":3}""", DecisionsJsonContext.Default.RuleState));
        // ...a message (a positional record) reads, and its customer id says it is missing.
        var message = JsonSerializer.Deserialize("""{"id":"d-1","ruleId":"r"}""", DecisionsJsonContext.Default.CommunicationMessage)!;

        Assert.True(message.CustomerId.IsDefault);
        Assert.Throws<InvalidOperationException>(() => message.CustomerId.Value);
        Assert.False(new CustomerId("c-1").IsDefault);
    }

    [Fact]
    public void A_conflict_without_another_profile_reads_the_empty_string_of_older_documents_as_none()
    {
        var older = JsonSerializer.Deserialize("""
            {"id":"c-ann","createdAt":"2026-01-05T09:00:00Z","conflicts":[
              {"at":"2026-01-05T09:00:00Z","identifier":"userId:u2","otherCustomerId":"","reason":"the profile already has another userId"},
              {"at":"2026-01-05T09:00:00Z","identifier":"email:a@example.com","otherCustomerId":"c-bob","reason":"r"}]}
            """, CoreJsonContext.Default.CustomerView)!;
        var written = JsonSerializer.Serialize(older, CoreJsonContext.Default.CustomerView);

        Assert.Null(older.Conflicts[0].OtherCustomerId);
        Assert.Equal(new CustomerId("c-bob"), older.Conflicts[1].OtherCustomerId);
        using var doc = JsonDocument.Parse(written);
        Assert.False(doc.RootElement.GetProperty("conflicts")[0].TryGetProperty("otherCustomerId", out _));
        Assert.Equal("c-bob", doc.RootElement.GetProperty("conflicts")[1].GetProperty("otherCustomerId").GetString());
    }

    [Fact]
    public void Customer_ids_key_json_objects_and_sort_ordinally()
    {
        var map = new Dictionary<CustomerId, int> { [new CustomerId("c-b")] = 2, [new CustomerId("c-a")] = 1 };
        var json = JsonSerializer.Serialize(map, CustomerIdTestJson.Default.DictionaryCustomerIdInt32);

        Assert.Equal("""{"c-b":2,"c-a":1}""", json);
        Assert.Equal(map, JsonSerializer.Deserialize(json, CustomerIdTestJson.Default.DictionaryCustomerIdInt32));
        Assert.Equal(["C", "c-a", "c-b"], new[] { new CustomerId("c-b"), new CustomerId("C"), new CustomerId("c-a") }.Order().Select(c => c.Value));
        Assert.True(new CustomerId("c-a") < new CustomerId("c-b"));
    }

    [Fact]
    public void A_customer_id_is_made_only_from_a_non_empty_string()
    {
        Assert.Throws<ArgumentException>(() => new CustomerId(""));
        Assert.Throws<ArgumentNullException>(() => new CustomerId(null!));
        Assert.False(CustomerId.TryParse("", out _));
        Assert.False(CustomerId.TryParse(null, out _));
        Assert.True(CustomerId.TryParse("c-1", out var id));
        Assert.Equal("c-1", id.ToString());
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<CustomerId, int>))]
internal sealed partial class CustomerIdTestJson : System.Text.Json.Serialization.JsonSerializerContext;
