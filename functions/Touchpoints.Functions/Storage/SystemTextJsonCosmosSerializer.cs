using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Azure.Cosmos;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// Documents go through the same source-generated System.Text.Json contracts as everything else, instead of the SDK's
/// default Newtonsoft.Json: one document shape, no reflection.
/// </summary>
public sealed class SystemTextJsonCosmosSerializer(JsonSerializerOptions options) : CosmosSerializer
{
    public override T FromStream<T>(Stream stream)
    {
        using (stream)
        {
            if (typeof(Stream).IsAssignableFrom(typeof(T))) return (T)(object)stream;
            return (T)JsonSerializer.Deserialize(stream, Info(typeof(T)))!;
        }
    }

    public override Stream ToStream<T>(T input)
    {
        var stream = new MemoryStream();
        JsonSerializer.Serialize(stream, input, Info(typeof(T)));
        stream.Position = 0;
        return stream;
    }

    private JsonTypeInfo Info(Type type) => options.GetTypeInfo(type);
}
