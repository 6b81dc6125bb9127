using Microsoft.Azure.Cosmos;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.LocalHost.Demo;

/// <summary>
/// The app's Cosmos DB database as the local host's settings name it, opened once per read the demo makes of what the app
/// stored (its rejections, wake-ups, ledger): the emulator's endpoint and key, the app's database and container names.
/// </summary>
internal sealed class DemoDatabase : IDisposable
{
    private readonly CosmosClient client;
    private readonly string database;

    private DemoDatabase(CosmosClient client, string database)
    {
        this.client = client;
        this.database = database;
    }

    /// <summary>Null when the settings name no account with a key (a demo against Azure reads through the APIs only).</summary>
    public static DemoDatabase? Open(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Get(SettingNames.CosmosAccountEndpoint) is not { } endpoint || settings.Get(SettingNames.CosmosAccountKey) is not { } key) return null;
        return new DemoDatabase(new CosmosClient(endpoint, key, CosmosServer.ClientOptions()), settings.Get(SettingNames.CosmosDatabaseName) ?? Containers.DefaultDatabase);
    }

    public Container Container(string name) => client.GetContainer(database, name);

    public void Dispose() => client.Dispose();
}
