using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Touchpoints.Infrastructure.Tests.Support;
using Xunit.Abstractions;

namespace Touchpoints.Infrastructure.Tests;

/// <summary>
/// Ties the code to infra/: what the function.json files and the Functions assembly use (settings, hubs, consumer groups,
/// queues, containers with their partition keys, and the access each needs) must be what the Bicep creates and grants.
/// Discovered from the code, not listed here, so a function added later without its infrastructure fails here.
/// </summary>
public sealed class ContractTests(ITestOutputHelper output)
{
    private const string AppPrincipal = "identity.outputs.principalId";
    private const string UserPrincipal = "principalId";
    private const string EventHubsModule = "./core/messaging/event-hubs.bicep";
    private const string StorageModule = "./core/storage/storage-account.bicep";
    private const string CosmosModule = "./core/database/cosmos-sql.bicep";
    private const string KeyVaultModule = "./core/security/key-vault.bicep";
    private const string MonitoringModule = "./core/monitor/monitoring.bicep";

    /// <summary>Settings the code can bind that Azure deliberately leaves unset, and why.</summary>
    private static readonly Dictionary<string, string> DeliberatelyUnset = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Cosmos__AccountKey"] = "a key, for the local emulator only: in Azure the managed identity authenticates",
    };

    private static readonly Dictionary<string, string> RoleIds = new(StringComparer.Ordinal)
    {
        ["Azure Event Hubs Data Receiver"] = "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
        ["Azure Event Hubs Data Sender"] = "2b629674-e913-4c01-ae53-ef4638d8f975",
        ["Azure Event Hubs Data Owner"] = "f526a384-b230-433a-b45c-95f59c4a2dec",
        ["Storage Blob Data Owner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        ["Storage Blob Data Contributor"] = "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        ["Storage Queue Data Contributor"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        ["Key Vault Secrets User"] = "4633458b-17de-408a-b874-0445c86b69e6",
        ["Monitoring Metrics Publisher"] = "3913510d-42f4-4e42-8a64-420c390055eb",
    };

    private static Task<InfraModel> Infra() => InfraModel.LoadAsync();

    [Fact]
    public async Task The_contract_is_discovered_from_the_code()
    {
        var infra = await Infra();
        output.WriteLine("functions: " + string.Join(", ", CodeContract.FunctionNames));
        output.WriteLine("options: " + string.Join(", ", CodeContract.OptionKeys));
        output.WriteLine("connections: " + string.Join(", ", CodeContract.Bindings.Select(b => b.Connection).OfType<string>().Distinct()));
        output.WriteLine("setting expressions: " + string.Join(", ", CodeContract.SettingExpressions.Select(e => e.Setting).Distinct()));
        output.WriteLine("hubs: " + string.Join(", ", CodeContract.Bindings.Where(b => b.IsEventHubs).Select(b => $"{b["eventHubName"]} ({b.Type}{(b["consumerGroup"] is { } g ? ", " + g : "")})").Distinct()));
        output.WriteLine("queues: " + string.Join(", ", CodeContract.Queues));
        output.WriteLine("containers: " + string.Join(", ", CodeContract.Containers.Select(c => $"{c.Key} {c.Value}")));
        output.WriteLine("app settings in infra/: " + string.Join(", ", infra.AppSettings.Keys));

        Assert.Contains("Cosmos__AccountEndpoint", CodeContract.OptionKeys);
        Assert.Contains(CodeContract.Bindings, b => b.Type == "eventHubTrigger");
        Assert.Contains("customers", CodeContract.Containers.Keys);
    }

    // ---------------------------------------------------------------- settings

    [Fact]
    public async Task Every_setting_an_options_class_binds_is_set_in_the_function_app()
    {
        var infra = await Infra();
        Assert.NotEmpty(CodeContract.OptionKeys);

        var missing = CodeContract.OptionKeys
            .Where(k => !DeliberatelyUnset.ContainsKey(k) && !infra.HasSetting(k))
            .ToArray();

        Assert.True(missing.Length == 0, $"Bound by the code but not set in infra/ (app settings): {string.Join(", ", missing)}. Set: {string.Join(", ", infra.AppSettings.Keys)}");
    }

    [Fact]
    public async Task What_is_deliberately_unset_is_still_bound_by_the_code_and_really_unset()
    {
        var infra = await Infra();

        foreach (var key in DeliberatelyUnset.Keys)
        {
            Assert.Contains(key, CodeContract.OptionKeys, StringComparer.OrdinalIgnoreCase);
            Assert.False(infra.HasSetting(key), $"{key} must not be set in Azure: {DeliberatelyUnset[key]}");
        }
    }

    [Fact]
    public async Task Every_binding_connection_is_set_identity_based_with_the_apps_identity()
    {
        var infra = await Infra();
        var connections = CodeContract.Bindings.Where(b => b.Connection is not null).GroupBy(b => b.Connection!, StringComparer.OrdinalIgnoreCase)
            .Concat(new[] { new Binding("(the host)", "blob", "out", new JsonObject()) }.GroupBy(_ => "AzureWebJobsStorage"));

        foreach (var group in connections)
        {
            var prefix = group.Key;
            Assert.False(infra.HasSetting(prefix), $"{prefix} must be identity-based (prefix__*), not a connection string.");
            if (group.Any(b => b.IsEventHubs))
                Assert.True(infra.HasSetting($"{prefix}__fullyQualifiedNamespace"), $"{prefix}__fullyQualifiedNamespace is not set ({string.Join(", ", group)}).");
            if (group.Any(b => b.IsStorage))
                Assert.True(
                    infra.HasSetting($"{prefix}__accountName") || (infra.HasSetting($"{prefix}__blobServiceUri") && infra.HasSetting($"{prefix}__queueServiceUri")),
                    $"{prefix}__accountName (or __blobServiceUri and __queueServiceUri) is not set ({string.Join(", ", group)}).");
            Assert.Equal("managedidentity", infra.AppSettings.GetValueOrDefault($"{prefix}__credential")?.Literal);
            Assert.Equal("identityClientId", infra.AppSettings.GetValueOrDefault($"{prefix}__clientId")?.ValueText);
        }
    }

    [Fact]
    public async Task Every_setting_expression_in_a_function_json_is_set()
    {
        var infra = await Infra();

        var missing = CodeContract.SettingExpressions.Where(e => !infra.HasSetting(e.Setting)).ToArray();

        Assert.True(missing.Length == 0, "Not set: " + string.Join(", ", missing.Select(m => $"%{m.Setting}% ({m.Function})")));
    }

    [Fact]
    public async Task The_handler_runs_in_Azure_against_infrastructure_owned_resources_with_its_identity()
    {
        var infra = await Infra();
        string? Literal(string name) => infra.AppSettings.GetValueOrDefault(name)?.Literal;

        Assert.Equal("false", Literal("Cosmos__CreateResources"));
        Assert.Equal("Direct", Literal("Cosmos__ConnectionMode"));
        Assert.Equal("false", Literal("Cosmos__LimitToEndpoint"));
        Assert.Equal(CodeContract.DatabaseName, Literal("Cosmos__DatabaseName"));
        Assert.Equal("cosmos.outputs.endpoint", infra.AppSettings["Cosmos__AccountEndpoint"].ValueText);
        Assert.Equal("identity.outputs.clientId", infra.AppSettings["Cosmos__ManagedIdentityClientId"].ValueText);
        Assert.Equal("identityClientId", infra.AppSettings["AZURE_CLIENT_ID"].ValueText);
        Assert.True(infra.HasSetting("APPLICATIONINSIGHTS_CONNECTION_STRING"));
        Assert.Equal("ClientId=${identityClientId};Authorization=AAD", (string?)infra.AppSettings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].Value?["$expr"]);
    }

    [Fact]
    public async Task Settings_that_Flex_Consumption_refuses_are_not_set()
    {
        var infra = await Infra();
        string[] refused = ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE",
            "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_NODE_DEFAULT_VERSION", "FUNCTIONS_WORKER_RUNTIME_VERSION", "AzureWebJobsStorage"];

        var set = refused.Where(infra.HasSetting).ToArray();
        Assert.True(set.Length == 0, "Flex Consumption refuses: " + string.Join(", ", set));
    }

    [Fact]
    public async Task Secrets_reach_the_app_only_as_Key_Vault_references_read_with_its_identity()
    {
        var infra = await Infra();
        var references = infra.AppSettings.Values.Where(s => s.ValueText.Contains("@Microsoft.KeyVault(", StringComparison.Ordinal)).ToArray();

        Assert.Contains(references, s => s.Name == "Collector__Sources__*__WriteKey");
        Assert.Contains(references, s => s.Name == "Webhooks__Sources__*__Secrets");
        Assert.All(references, s => Assert.Matches(@"^'@Microsoft\.KeyVault\(SecretUri=\$\{keyVaultUri\}secrets/[^)]+/\)'$", s.ValueText));
        var site = Body(infra.FunctionApp.Resources("Microsoft.Web/sites").Single());
        Assert.Equal("identityId", Bicep.Text(site["properties"]!["keyVaultReferenceIdentity"]));
        Assert.Contains((AppPrincipal, RoleIds["Key Vault Secrets User"]), Assignments(infra, KeyVaultModule));
        var vault = Body(infra.File("infra/core/security/key-vault.bicep").Resources("Microsoft.KeyVault/vaults").Single());
        Assert.Equal("true", Bicep.Text(vault["properties"]!["enableRbacAuthorization"]));
        Assert.Equal("true", Bicep.Text(vault["properties"]!["enableSoftDelete"]));
    }

    // ---------------------------------------------------------------- console sign-in

    [Fact]
    public async Task The_consoles_sign_in_is_Entra_ID_letting_every_request_through_with_the_managed_identity_as_credential()
    {
        var infra = await Infra();
        var auth = infra.FunctionApp.Resources("Microsoft.Web/sites/config").Single(r => Bicep.Text(Body(r)!["name"]) == "authsettingsV2");
        var body = Body(auth)!["properties"]!;
        // The collector, the webhooks and the key-protected API keep their own authentication: nothing is required here.
        Assert.Equal("false", Bicep.Text(body["globalValidation"]!["requireAuthentication"]));
        Assert.Equal("AllowAnonymous", Bicep.Text(body["globalValidation"]!["unauthenticatedClientAction"]));
        var aad = body["identityProviders"]!["azureActiveDirectory"]!;
        Assert.Equal("consoleClientId", Bicep.Text(aad["registration"]!["clientId"]));
        Assert.Equal("OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID", Bicep.Text(aad["registration"]!["clientSecretSettingName"]));
        Assert.True(infra.HasSetting("OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"));
        // The development sign-in is never on in Azure, and the platform's principal is believed only when sign-in is configured.
        Assert.True(infra.HasSetting("Console__DevelopmentSignIn"));
        Assert.True(infra.HasSetting("Console__TrustPlatformPrincipal"));
    }

    // ---------------------------------------------------------------- Event Hubs

    [Fact]
    public async Task Every_hub_and_consumer_group_the_functions_use_is_created_and_nothing_unused()
    {
        var infra = await Infra();
        var hubs = InfraHubs(infra);
        var triggers = CodeContract.Triggers("eventHubTrigger").ToArray();
        var used = triggers.Select(t => t["eventHubName"]!).Concat(CodeContract.Triggers("eventHub").Select(b => b["eventHubName"]!)).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(triggers);

        foreach (var trigger in triggers)
        {
            var hub = trigger["eventHubName"]!;
            var group = trigger["consumerGroup"];
            Assert.True(hubs.ContainsKey(hub), $"{trigger.Function} reads hub '{hub}', which infra/ does not create.");
            Assert.False(string.IsNullOrEmpty(group) || group == "$Default", $"{trigger.Function} must read with a consumer group of its own, not $Default.");
            Assert.True(hubs[hub].Groups.Contains(group!), $"{trigger.Function} reads '{hub}' with consumer group '{group}', which infra/ does not create.");
        }
        foreach (var hub in used) Assert.True(hubs.ContainsKey(hub), $"Hub '{hub}' is used by the code but not created.");
        // The bindings name exactly the hubs of the one source of names the code and the tools read.
        Assert.Equal(Touchpoints.Core.Resources.Hubs.All.Order(StringComparer.Ordinal), used.Order(StringComparer.Ordinal));
        Assert.Empty(hubs.Keys.Except(used));
        var groups = triggers.Select(t => (t["eventHubName"], t["consumerGroup"])).ToHashSet();
        var unused = hubs.SelectMany(h => h.Value.Groups.Select(g => (Hub: h.Key, Group: g))).Where(g => !groups.Contains(g)).ToArray();
        Assert.True(unused.Length == 0, "Consumer groups no function reads with: " + string.Join(", ", unused));
    }

    [Fact]
    public async Task The_app_may_receive_from_exactly_the_hubs_it_reads_and_send_to_exactly_those_it_writes()
    {
        var infra = await Infra();
        var hubs = InfraHubs(infra);
        var reads = CodeContract.Triggers("eventHubTrigger").Select(b => b["eventHubName"]!).ToHashSet(StringComparer.Ordinal);
        var writes = CodeContract.Triggers("eventHub").Where(b => b.Direction == "out").Select(b => b["eventHubName"]!)
            .Concat(CodeContract.HubsPublishedByTheHandler).ToHashSet(StringComparer.Ordinal);

        foreach (var (name, hub) in hubs)
        {
            Assert.True(hub.Receives == reads.Contains(name), $"'{name}': appReceives must be {reads.Contains(name)} (Data Receiver only where a trigger reads).");
            Assert.True(hub.Sends == writes.Contains(name), $"'{name}': appSends must be {writes.Contains(name)} (Data Sender only where an output writes).");
        }
        Assert.Equal("eventHubs", Bicep.Text(infra.ModuleParam(EventHubsModule, "hubs")));
        Assert.Equal(AppPrincipal, Bicep.Text(infra.ModuleParam(EventHubsModule, "appPrincipalId")));
    }

    [Theory]
    [InlineData("appReceives", "a638d3c7-ab3a-418d-83e6-5f17a39d4fde")]
    [InlineData("appSends", "2b629674-e913-4c01-ae53-ef4638d8f975")]
    public async Task The_event_hubs_module_grants_the_role_on_each_hub_whose_flag_is_set(string flag, string roleId)
    {
        var module = (await Infra()).File("infra/core/messaging/event-hubs.bicep");

        var grant = module.Resources("Microsoft.Authorization/roleAssignments").SingleOrDefault(r =>
            r["value"]?["$body"]?["$if"] is { } condition && Bicep.Text(condition).Contains($"hub.{flag}", StringComparison.Ordinal));

        Assert.NotNull(grant);
        Assert.Contains("in hubs", (string)grant["value"]!["$for"]!, StringComparison.Ordinal);
        var body = BicepFile.Body(grant)!;
        Assert.Equal("eventHubs[i]", Bicep.Text(body["scope"]));
        Assert.Equal("appPrincipalId", Bicep.Text(body["properties"]!["principalId"]));
        var roleVar = Regex.Match(Bicep.Text(body["properties"]!["roleDefinitionId"]), @", (\w+)\)$").Groups[1].Value;
        Assert.Equal(roleId, Bicep.StringValue(module, module.Var(roleVar)));
        AssertGuidName(body, "eventHubs[i].id", "appPrincipalId", roleVar);
    }

    [Fact]
    public async Task The_event_hubs_namespace_is_standard_with_local_auth_off_and_sized_by_parameters()
    {
        var module = (await Infra()).File("infra/core/messaging/event-hubs.bicep");
        var ns = Body(module.Resources("Microsoft.EventHub/namespaces").Single());

        Assert.Equal("Standard", Bicep.Text(ns["sku"]!["name"]));
        Assert.Equal("throughputUnits", Bicep.Text(ns["sku"]!["capacity"]));
        Assert.Equal("true", Bicep.Text(ns["properties"]!["disableLocalAuth"]));
        var hub = Body(module.Resources("Microsoft.EventHub/namespaces/eventhubs").Single());
        Assert.Equal("partitionCount", Bicep.Text(hub["properties"]!["partitionCount"]));
    }

    // ---------------------------------------------------------------- Cosmos DB

    [Fact]
    public async Task Every_container_the_code_uses_is_created_with_the_partition_key_it_assumes()
    {
        var infra = await Infra();
        var containers = InfraContainers(infra);
        Assert.NotEmpty(CodeContract.Containers);

        foreach (var (name, partitionKey) in CodeContract.Containers)
        {
            Assert.True(containers.ContainsKey(name), $"The code uses container '{name}', which infra/ does not create.");
            Assert.True(partitionKey == (string?)containers[name]["partitionKey"],
                $"Container '{name}': the code assumes partition key {partitionKey}, infra/ creates {containers[name]["partitionKey"]} (a partition key cannot change once created).");
        }
        Assert.Empty(containers.Keys.Except(CodeContract.Containers.Keys));
        Assert.Equal(CodeContract.DatabaseName, Bicep.StringValue(infra.Main, infra.ModuleParam(CosmosModule, "databaseName")));
    }

    [Fact]
    public async Task Containers_index_only_what_is_queried_and_expire_what_should()
    {
        var infra = await Infra();
        var containers = InfraContainers(infra);
        JsonArray Indexed(string name) => containers[name]["indexedPaths"]!.AsArray();

        Assert.Empty(Indexed("customers"));
        Assert.Empty(Indexed("identities"));
        // Erasure finds a person's webhook deliveries by event id, and their wake-ups by customer.
        Assert.Equal(["/eventId/?"], Indexed("webhooks").Select(p => (string?)p));
        Assert.Contains("/customerId/?", Indexed("wakeups").Select(p => (string?)p));
        Assert.Equal(["/type/?"], Indexed("privacy").Select(p => (string?)p));
        Assert.Contains("/source/?", Indexed("rejected").Select(p => (string?)p));
        Assert.Contains("/partition/?", Indexed("rejected").Select(p => (string?)p));
        Assert.Equal("rejectedRetentionDays * 86400", Bicep.Text(containers["rejected"]["defaultTtl"]));
        Assert.Equal(-1, (int)containers["webhooks"]["defaultTtl"]!);
        Assert.Equal(-1, (int)containers["wakeups"]["defaultTtl"]!);
        Assert.Equal(0, (int)containers["customers"]["defaultTtl"]!);
        Assert.Equal("395 * 86400", Bicep.Text(containers["communications"]["defaultTtl"]));

        var module = infra.File("infra/core/database/cosmos-sql.bicep");
        var container = Body(module.Resources("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers").Single());
        var policy = Bicep.LiteralObjects(container["properties"]!["resource"]).Select(o => o["indexingPolicy"]).OfType<JsonObject>().Single();
        Assert.Equal("""[{"path":"/*"}]""", policy["excludedPaths"]!.ToJsonString());
        Assert.Contains("c.indexedPaths", Bicep.Text(policy["includedPaths"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cosmos_account_is_serverless_by_default_with_keys_off()
    {
        var infra = await Infra();
        var module = infra.File("infra/core/database/cosmos-sql.bicep");
        var account = Body(module.Resources("Microsoft.DocumentDB/databaseAccounts").Single());

        Assert.Equal("true", Bicep.Text(account["properties"]!["disableLocalAuth"]));
        Assert.Contains("EnableServerless", Bicep.Text(account["properties"]!["capabilities"]), StringComparison.Ordinal);
        Assert.Equal("serverless", Bicep.StringValue(infra.Main, infra.Main.Param("cosmosThroughputMode")!["value"]));
    }

    [Fact]
    public async Task The_app_and_the_deploying_user_are_Cosmos_data_contributors()
    {
        var infra = await Infra();
        var principals = Bicep.Text(infra.ModuleParam(CosmosModule, "dataContributorPrincipalIds"));
        Assert.Contains(AppPrincipal, principals, StringComparison.Ordinal);
        Assert.Contains("empty(principalId) ? [] : [ principalId ]", principals, StringComparison.Ordinal);

        var module = infra.File("infra/core/database/cosmos-sql.bicep");
        var assignment = Body(module.Resources("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments").Single());
        Assert.Equal("00000000-0000-0000-0000-000000000002", Bicep.StringValue(module, module.Var("dataContributorRoleId")));
        Assert.Contains("dataContributorRoleId", Bicep.Text(assignment["properties"]!["roleDefinitionId"]), StringComparison.Ordinal);
        AssertGuidName(assignment, "account.id", "principalId", "dataContributorRoleId");
    }

    // ---------------------------------------------------------------- Storage

    [Fact]
    public async Task Every_queue_the_functions_use_is_created()
    {
        var infra = await Infra();
        var queues = infra.Main.Var("storageQueues")!.AsArray().Select(q => (string)q!).ToArray();
        var used = CodeContract.Queues;

        Assert.NotEmpty(used);
        Assert.Empty(used.Except(queues));
        Assert.Empty(queues.Except(used));
        Assert.Equal("storageQueues", Bicep.Text(infra.ModuleParam(StorageModule, "queues")));
    }

    [Fact]
    public async Task Every_blob_container_the_functions_write_is_created()
    {
        var infra = await Infra();
        var containers = infra.Main.Var("storageBlobContainers")!.AsArray().Select(c => (string)c!).ToArray();

        Assert.Equal(Core.Resources.BlobContainers.All.Order(StringComparer.Ordinal), containers.Order(StringComparer.Ordinal));
        Assert.Contains("storageBlobContainers", Bicep.Text(infra.ModuleParam(StorageModule, "blobContainers")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_app_owns_its_host_storage_blobs_and_may_use_the_queues()
    {
        var infra = await Infra();
        var assignments = Assignments(infra, StorageModule);

        Assert.Contains((AppPrincipal, RoleIds["Storage Blob Data Owner"]), assignments);
        Assert.Contains((AppPrincipal, RoleIds["Storage Queue Data Contributor"]), assignments);
    }

    [Fact]
    public async Task The_storage_account_allows_no_shared_key_no_public_blobs_and_TLS_1_2_only()
    {
        var module = (await Infra()).File("infra/core/storage/storage-account.bicep");
        var properties = Body(module.Resources("Microsoft.Storage/storageAccounts").Single())!["properties"]!;

        Assert.Equal("false", Bicep.Text(properties["allowSharedKeyAccess"]));
        Assert.Equal("false", Bicep.Text(properties["allowBlobPublicAccess"]));
        Assert.Equal("TLS1_2", Bicep.Text(properties["minimumTlsVersion"]));
    }

    // ---------------------------------------------------------------- roles

    [Fact]
    public async Task The_app_may_publish_telemetry_to_Application_Insights_with_local_auth_off()
    {
        var infra = await Infra();
        var component = Body(infra.File("infra/core/monitor/monitoring.bicep").Resources("Microsoft.Insights/components").Single());

        Assert.Equal("true", Bicep.Text(component["properties"]!["DisableLocalAuth"]));
        Assert.Contains((AppPrincipal, RoleIds["Monitoring Metrics Publisher"]), Assignments(infra, MonitoringModule));
    }

    [Fact]
    public async Task The_deploying_user_gets_data_access_for_local_debugging_when_given()
    {
        var infra = await Infra();

        Assert.Contains((UserPrincipal, RoleIds["Azure Event Hubs Data Owner"]), Assignments(infra, EventHubsModule));
        Assert.Contains((UserPrincipal, RoleIds["Storage Blob Data Contributor"]), Assignments(infra, StorageModule));
        Assert.Contains((UserPrincipal, RoleIds["Storage Queue Data Contributor"]), Assignments(infra, StorageModule));
        var userAssignments = infra.Main.OfKind("module").SelectMany(m => Bicep.LiteralObjects(BicepFile.Body(m)?["params"]?["roleAssignments"]))
            .Where(o => Bicep.Text(o["principalId"]) == UserPrincipal).ToArray();
        Assert.NotEmpty(userAssignments);
        Assert.All(userAssignments, o => Assert.Equal("principalType", Bicep.Text(o["principalType"])));
        Assert.Equal("User", Bicep.StringValue(infra.Main, infra.Main.Param("principalType")!["value"]));
    }

    [Fact]
    public async Task Every_role_assignment_is_named_by_its_scope_principal_and_role()
    {
        var infra = await Infra();
        var assignments = infra.Files.SelectMany(f => f.Resources("Microsoft.Authorization/roleAssignments").Select(r => (File: f, Resource: r))).ToArray();
        Assert.NotEmpty(assignments);

        foreach (var (file, resource) in assignments)
        {
            var body = BicepFile.Body(resource)!;
            var name = body["name"];
            Assert.True(Bicep.IsCall(name, "guid") && Bicep.Args(name).Count == 3, $"{file}: {resource["name"]} must be named guid(scope, principalId, roleDefinitionId).");
            var args = Bicep.Args(name).Select(Bicep.Text).ToArray();
            Assert.Equal(Bicep.Text(body["scope"]) + ".id", args[0]);
            Assert.Contains("principalId", args[1], StringComparison.OrdinalIgnoreCase);
            Assert.Contains(args[1], Bicep.Text(body["properties"]!["principalId"]), StringComparison.Ordinal);
            Assert.Contains(args[2], Bicep.Text(body["properties"]!["roleDefinitionId"]), StringComparison.Ordinal);
            Assert.NotNull(body["properties"]!["principalType"]);
        }
    }

    // ---------------------------------------------------------------- no secrets

    private static readonly Regex SecretPattern = new(
        @"AccountKey=|SharedAccessKey=|SharedAccessSignature|listKeys\(|listConnectionStrings\(|listAccountSas\(|listServiceSas\(|primaryKey|secondaryKey|primaryMasterKey|primaryConnectionString|connectionStrings\[",
        RegexOptions.IgnoreCase);

    [Fact]
    public async Task No_output_and_no_app_setting_carries_a_key_or_a_connection_string_with_a_secret()
    {
        var infra = await Infra();

        foreach (var file in infra.Files)
        {
            Assert.DoesNotMatch(SecretPattern, Regex.Replace(file.Source, @"(?<!:)//[^\n]*", ""));
            var secure = file.OfKind("param").Where(p => p["decorators"]!.AsArray().Any(d => ((string?)d)!.StartsWith("@secure", StringComparison.Ordinal))).Select(p => (string)p["name"]!).ToArray();
            foreach (var output in file.OfKind("output"))
            {
                var text = Bicep.Text(output["value"]);
                Assert.DoesNotMatch(SecretPattern, text);
                Assert.DoesNotContain(Bicep.Descendants(output["value"]).OfType<JsonObject>(), o => (string?)o["$ref"] is { } r && secure.Contains(r));
            }
        }
        foreach (var setting in infra.AppSettings.Values)
        {
            Assert.DoesNotMatch(SecretPattern, setting.ValueText);
            if (setting.Name.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase))
                Assert.Equal("APPLICATIONINSIGHTS_CONNECTION_STRING", setting.Name);
        }
    }

    [Fact]
    public async Task Secret_parameters_are_secure_and_empty_by_default()
    {
        var main = (await Infra()).Main;

        foreach (var name in new[] { "collectorWriteKeys", "webhookSecrets" })
        {
            var param = main.Param(name)!;
            Assert.Contains("@secure()", param["decorators"]!.AsArray().Select(d => (string?)d));
            Assert.Equal("{}", param["value"]!.ToJsonString());
        }
    }

    // ---------------------------------------------------------------- the function app

    [Fact]
    public async Task The_function_app_is_a_custom_handler_on_Flex_Consumption_deployed_with_its_identity()
    {
        var infra = await Infra();
        var plan = Body(infra.FunctionApp.Resources("Microsoft.Web/serverfarms").Single());
        var site = Body(infra.FunctionApp.Resources("Microsoft.Web/sites").Single());
        var config = site["properties"]!["functionAppConfig"]!;

        Assert.Equal("FC1", Bicep.Text(plan["sku"]!["name"]));
        Assert.Equal("FlexConsumption", Bicep.Text(plan["sku"]!["tier"]));
        Assert.Equal("""{"name":"custom","version":"1.0"}""", config["runtime"]!.ToJsonString());
        var storage = config["deployment"]!["storage"]!;
        Assert.Equal("blobContainer", Bicep.Text(storage["type"]));
        Assert.Equal("UserAssignedIdentity", Bicep.Text(storage["authentication"]!["type"]));
        Assert.Equal("identityId", Bicep.Text(storage["authentication"]!["userAssignedIdentityResourceId"]));
        var scale = config["scaleAndConcurrency"]!;
        Assert.Equal("instanceMemoryMB", Bicep.Text(scale["instanceMemoryMB"]));
        Assert.Equal("maximumInstanceCount", Bicep.Text(scale["maximumInstanceCount"]));
        Assert.Equal("alwaysReady", Bicep.Text(scale["alwaysReady"]));
        foreach (var param in new[] { "instanceMemoryMB", "alwaysReady" })
            Assert.Equal(param, Bicep.Text(infra.ModuleParam(InfraModel.FunctionAppModulePath, param)));
        // The parameter, or what targetEventsPerSecond derives from it (sizing.bicep).
        Assert.Equal("effectiveMaximumInstanceCount", Bicep.Text(infra.ModuleParam(InfraModel.FunctionAppModulePath, "maximumInstanceCount")));
        Assert.Equal("UserAssigned", Bicep.Text(site["identity"]!["type"]));
    }

    [Fact]
    public async Task The_function_app_is_tagged_with_the_azd_service_name_of_azure_yaml()
    {
        var infra = await Infra();
        var site = Body(infra.FunctionApp.Resources("Microsoft.Web/sites").Single());
        var serviceName = Bicep.StringValue(infra.Main, infra.ModuleParam(InfraModel.FunctionAppModulePath, "serviceName"));

        Assert.Contains("'azd-service-name': serviceName", Bicep.Text(site["tags"]), StringComparison.Ordinal);
        Assert.Equal(AzureYaml.ServiceName, serviceName);
    }

    // ---------------------------------------------------------------- main.bicep

    [Fact]
    public async Task Main_deploys_a_resource_group_per_environment_with_local_modules_only()
    {
        var infra = await Infra();
        var main = infra.Main;

        Assert.Equal("subscription", Bicep.Text(main.OfKind("targetScope").Single()["value"]));
        Assert.Equal("toLower(uniqueString(subscription().id, environmentName, location))", Bicep.Text(main.Var("resourceToken")));
        var rg = Body(main.Resources("Microsoft.Resources/resourceGroups").Single());
        Assert.Equal("${abbrs.resourcesResourceGroups}${environmentName}", (string?)rg["name"]!["$expr"]);
        Assert.Equal("environmentName", Bicep.Text(main.Var("tags")!["azd-env-name"]));
        foreach (var module in infra.Files.SelectMany(f => f.OfKind("module").Select(m => (File: f, Path: (string)m["type"]!))))
        {
            Assert.Matches(@"^\.{1,2}/", module.Path);
            Assert.True(File.Exists(Path.Combine(Tooling.RepoRoot, Path.GetDirectoryName(module.File.Path)!, module.Path)), $"{module.File}: {module.Path} does not exist.");
        }
        var parameters = JsonNode.Parse(File.ReadAllText(Tooling.Path("infra", "main.parameters.json")))!["parameters"]!;
        Assert.Equal("${AZURE_ENV_NAME}", (string?)parameters["environmentName"]!["value"]);
        Assert.Equal("${AZURE_LOCATION}", (string?)parameters["location"]!["value"]);
        Assert.Equal("${AZURE_PRINCIPAL_ID}", (string?)parameters["principalId"]!["value"]);
        foreach (var (name, _) in parameters.AsObject()) Assert.NotNull(main.Param(name));
    }

    [Fact]
    public async Task Outputs_are_named_as_the_environment_variables_local_tools_read()
    {
        var outputs = (await Infra()).Main.OfKind("output").Select(o => (string)o["name"]!).ToArray();

        Assert.Subset(outputs.ToHashSet(), new HashSet<string>
        {
            "AZURE_LOCATION", "AZURE_TENANT_ID", "AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "SERVICE_API_ENDPOINTS",
            "COSMOS_ENDPOINT", "COSMOS_DATABASE_NAME", "EVENTHUBS_NAMESPACE", "AZURE_KEY_VAULT_NAME",
        });
    }

    // ---------------------------------------------------------------- helpers

    private static JsonObject Body(JsonObject declaration) => BicepFile.Body(declaration) ?? throw new InvalidOperationException($"{declaration["name"]} has no body.");

    private sealed record Hub(HashSet<string> Groups, bool Receives, bool Sends);

    private static Dictionary<string, Hub> InfraHubs(InfraModel infra) =>
        infra.Main.Var("eventHubs")!.AsArray().Select(h => h!.AsObject()).ToDictionary(
            h => (string)h["name"]!,
            h => new Hub(h["consumerGroups"]!.AsArray().Select(g => (string)g!).ToHashSet(StringComparer.Ordinal), (bool)h["appReceives"]!, (bool)h["appSends"]!),
            StringComparer.Ordinal);

    private static Dictionary<string, JsonObject> InfraContainers(InfraModel infra)
    {
        Assert.Equal("cosmosContainers", Bicep.Text(infra.ModuleParam(CosmosModule, "containers")));
        return infra.Main.Var("cosmosContainers")!.AsArray().Select(c => c!.AsObject()).ToDictionary(c => (string)c["name"]!, StringComparer.Ordinal);
    }

    /// <summary>(principal expression, role definition id) of each role assignment main.bicep passes to a module.</summary>
    private static HashSet<(string Principal, string Role)> Assignments(InfraModel infra, string modulePath)
    {
        var roles = infra.Main.Var("roles")!.AsObject();
        return Bicep.LiteralObjects(infra.ModuleParam(modulePath, "roleAssignments"))
            .Where(o => o.ContainsKey("principalId") && o.ContainsKey("roleDefinitionId"))
            .Select(o =>
            {
                var role = Bicep.Text(o["roleDefinitionId"]);
                return (Bicep.Text(o["principalId"]), role.StartsWith("roles.", StringComparison.Ordinal) ? (string)roles[role["roles.".Length..]]! : role);
            })
            .ToHashSet();
    }

    private static void AssertGuidName(JsonObject body, string scope, string principal, string role)
    {
        var name = body["name"];
        Assert.True(Bicep.IsCall(name, "guid"), $"{Bicep.Text(name)} is not guid(...)");
        Assert.Equal([scope, principal, role], Bicep.Args(name).Select(Bicep.Text).ToArray());
    }
}
