using Touchpoints.Core.Events;

namespace Touchpoints.Core.Tests.Events;

public class JsonTextTests
{
    [Theory]
    [InlineData("""{"a":"\ud800"}""", true)]
    [InlineData("""{"a":"\udfff"}""", true)]
    [InlineData("""{"a":"\ud83d x"}""", true)]
    [InlineData("""{"a":"\ude00\ud83d"}""", true)]
    [InlineData("""{"a":"\ud83d\ude00"}""", false)]
    [InlineData("""{"a":"\\ud800"}""", false)]
    [InlineData("""{"a":"\u00e9\u0000 \"\\"}""", false)]
    [InlineData("""{"a":"😀"}""", false)]
    [InlineData("""{"a":"\u12"}""", false)]
    public void Half_a_surrogate_pair_is_found_whether_escaped_or_raw(string json, bool lone) =>
        Assert.Equal(lone, JsonText.HasLoneSurrogate(json));

    [Fact]
    public void A_raw_unpaired_surrogate_is_found() => Assert.True(JsonText.HasLoneSurrogate("{\"a\":\"" + '\ud800' + "\"}"));
}
