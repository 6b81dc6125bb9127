// Touchpoints on Azure: the Functions app (custom handler, Flex Consumption) and everything it reads and writes.
// Every connection is identity-based (one user-assigned managed identity); no key or connection string with a secret
// is created, stored in an app setting or output. What the code uses (hubs, consumer groups, containers with their
// partition keys, queues, settings, roles) is pinned against the code by tests/Touchpoints.Infrastructure.Tests.
targetScope = 'subscription'

import { requestUnitsFor, cosmosModeFor, throughputUnitsFor, partitionsFor, instancesFor } from 'sizing.bicep'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: the resource group is rg-<name>, and every resource is tagged with it.')
param environmentName string

@minLength(1)
@description('Primary location of every resource (Flex Consumption must be offered there).')
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID): data access for local debugging. Empty: none.')
param principalId string = ''

@allowed([ 'User', 'ServicePrincipal' ])
@description('What principalId is: a user (azd up from a workstation) or a service principal (a pipeline).')
param principalType string = 'User'

// ---- Sizing ----

@minValue(0)
@maxValue(30000)
@description('The sustained events per second (web, CRM and social together) to size Cosmos DB, Event Hubs and the function app for. 0: use the individual settings below.')
param targetEventsPerSecond int = 0

@minValue(1)
@description('Cosmos DB request units one ingested event costs, ingestion, rules and timer together. The cost meter measures 6.8 (one instance, warm caches) to 8.0 (no caches) on its Zipf workload (README, "What an event costs"); 10 leaves room for heavier documents and rules than its.')
param requestUnitsPerEvent int = 10

// The arithmetic is in sizing.bicep (functions the tests evaluate with the Bicep compiler).
var sized = targetEventsPerSecond > 0
var requiredRequestUnits = requestUnitsFor(targetEventsPerSecond, requestUnitsPerEvent)
var effectiveThroughputMode = sized ? cosmosModeFor(requiredRequestUnits) : cosmosThroughputMode
var effectiveThroughputUnits = sized ? throughputUnitsFor(targetEventsPerSecond) : eventHubsThroughputUnits
var effectivePartitionCount = sized ? partitionsFor(targetEventsPerSecond) : eventHubPartitionCount
var effectiveMaximumInstanceCount = sized ? instancesFor(effectivePartitionCount) : maximumInstanceCount

// ---- Function app (Flex Consumption) ----

@allowed([ 512, 2048, 4096 ])
@description('Memory of each instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Most instances the app scales out to.')
param maximumInstanceCount int = 100

@description('Always-ready instances, e.g. [{ name: \'http\', instanceCount: 1 }, { name: \'function:IngestWebEvents\', instanceCount: 1 }]. None by default: scale to zero.')
param alwaysReady array = []

// ---- Event Hubs ----

@minValue(1)
@maxValue(40)
@description('Throughput units of the Standard namespace.')
param eventHubsThroughputUnits int = 1

@minValue(1)
@maxValue(32)
@description('Partitions of each hub (fixed once a hub exists on Standard).')
param eventHubPartitionCount int = 4

@minValue(1)
@maxValue(7)
@description('Days each hub keeps its events.')
param eventHubRetentionDays int = 1

// ---- Cosmos DB ----

@allowed([ 'serverless', 'autoscale' ])
@description('serverless (pay per request, the default) or autoscale provisioned throughput shared by the database.')
param cosmosThroughputMode string = 'serverless'

@minValue(1000)
@description('With autoscale: the most RU/s the database scales to (it scales down to a tenth of it).')
param cosmosAutoscaleMaxThroughput int = 1000

@minValue(1)
@description('Days a rejected event is kept in the rejected container.')
param rejectedRetentionDays int = 30

// ---- Collector and webhooks ----

@description('Websites and apps that send events to the collector; each gets Collector__Sources__<name>__WriteKey from Key Vault secret collector-<name>-write-key. Names: letters, digits and dashes.')
param collectorSources array = [ 'website' ]

@description('Browser origins allowed to call the collector, comma-separated; * for any.')
param collectorAllowedOrigins string = '*'

@description('Country (ISO 3166 alpha-2, e.g. GB) a phone number written without its country code is read in, unless the customer\'s locale says his own. Empty: such numbers link no one.')
param defaultPhoneRegion string = ''

@description('Webhook senders, e.g. [{ name: \'hubspot\', scheme: \'hubspot\' }, { name: \'stripe\', scheme: \'stripe\' }, { name: \'billing\', scheme: \'standardWebhooks\', publicUrl: \'\' }]; each gets Webhooks__Sources__<name>__Secrets from Key Vault secret webhook-<name>-secrets.')
param webhookSources array = []

@description('Where the delivery functions send messages: signed Standard Webhooks destinations, e.g. [{ name: \'esp\', url: \'https://esp.example/hooks/touchpoints\', routes: \'email,sms\' }, { name: \'crm\', url: \'https://crm.example/tasks\', routes: \'sales-alerts\' }]; each signs with Delivery__Destinations__<name>__Secrets from Key Vault secret delivery-<name>-secrets (comma-separated whsec_ secrets: two while one is rotated). Routes: email, sms, push, inApp, phone, mail, sales-alerts. A message whose route has no destination is dropped with that reason on its ledger entry.')
param deliveryDestinations array = []

@description('The console\'s Entra ID app registration (client id), with the app roles agent, marketer and admin and a federated credential for the app\'s managed identity (README, "Signing in to the console"). Empty: the console refuses everyone.')
param consoleClientId string = ''

@secure()
@description('Optional initial signing secrets by destination name ({ esp: \'whsec_...\' }). Empty: set them with az keyvault secret set.')
param deliverySecrets object = {}

@secure()
@description('Optional initial write keys by collector source name ({ website: \'...\' }). Empty: set them with az keyvault secret set.')
param collectorWriteKeys object = {}

@secure()
@description('Optional initial webhook signing secrets by sender name ({ hubspot: \'...\' }). Empty: set them with az keyvault secret set.')
param webhookSecrets object = {}

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}'
var keyVaultUri = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var cosmosDatabaseName = 'touchpoints'

// What the code uses. The contract test reads these literals: keep them literal.

// Hubs, the consumer group of each consuming function, and what the app does with each hub (the role it gets on it).
var eventHubs = [
  { name: 'web-events', consumerGroups: [ 'ingestwebevents' ], appReceives: true, appSends: true }
  { name: 'social-events', consumerGroups: [ 'ingestsocialevents' ], appReceives: true, appSends: false }
  { name: 'crm-events', consumerGroups: [ 'ingestcrmevents' ], appReceives: true, appSends: true }
  { name: 'customer-changes', consumerGroups: [ 'evaluatecustomerchanges' ], appReceives: true, appSends: true }
]

// Containers with the partition key the code assumes, the paths its queries filter or sort on (everything else is not
// indexed: point reads need no index), and the default TTL in seconds (0: off; -1: on, per-item ttl only).
var cosmosContainers = [
  // share: percent of the request units at the target rate (the cost meter's split), for autoscale sizing.
  { name: 'customers', partitionKey: '/id', indexedPaths: [], defaultTtl: 0, share: 45 }
  { name: 'identities', partitionKey: '/id', indexedPaths: [], defaultTtl: 0, share: 25 }
  { name: 'rejected', partitionKey: '/source', indexedPaths: [ '/source/?', '/partition/?', '/reason/?', '/rejectedAt/?' ], defaultTtl: rejectedRetentionDays * 86400, share: 1 }
  { name: 'webhooks', partitionKey: '/source', indexedPaths: [ '/eventId/?' ], defaultTtl: -1, share: 1 }
  { name: 'config', partitionKey: '/id', indexedPaths: [], defaultTtl: 0, share: 1 }
  // Ledger entries expire after 13 months (their reasons name what was known of the customer); rule states carry ttl -1.
  { name: 'communications', partitionKey: '/customerId', indexedPaths: [ '/customerId/?', '/status/?', '/createdAt/?' ], defaultTtl: 395 * 86400, share: 20 }
  // Wake-ups by due minute and shard ('2026-11-22T10:15|3'): the timer reads only the buckets that are due.
  { name: 'wakeups', partitionKey: '/bucket', indexedPaths: [ '/bucket/?', '/customerId/?' ], defaultTtl: -1, share: 8 }
  { name: 'rulestats', partitionKey: '/ruleId', indexedPaths: [ '/ruleId/?', '/day/?' ], defaultTtl: 0, share: 1 }
  // Data subjects' requests: erasures and their receipts (kept: they are the proof), the suppression list of keyed hashes.
  { name: 'privacy', partitionKey: '/id', indexedPaths: [ '/type/?' ], defaultTtl: -1, share: 1 }
]

// Blob containers the functions write: every customer's history (append blobs, kept until the customer is erased).
var storageBlobContainers = [
  'history'
]

// Storage queues the functions read or write.
var storageQueues = [
  'communications-high'
  'communications-normal'
  'communications-low'
  'sales-alerts'
  'erasures'
]

// Built-in role definition ids.
var roles = {
  eventHubsDataOwner: 'f526a384-b230-433a-b45c-95f59c4a2dec'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity './core/security/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring './core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    // Application Insights with local auth off accepts telemetry only from Entra identities holding this role.
    roleAssignments: [
      { principalId: identity.outputs.principalId, principalType: 'ServicePrincipal', roleDefinitionId: roles.monitoringMetricsPublisher }
    ]
  }
}

module storage './core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    blobContainers: concat([ deploymentContainerName ], storageBlobContainers)
    queues: storageQueues
    roleAssignments: concat([
      // AzureWebJobsStorage: Event Hubs checkpoints, timer locks, the deployment package.
      { principalId: identity.outputs.principalId, principalType: 'ServicePrincipal', roleDefinitionId: roles.storageBlobDataOwner }
      // Queue triggers and outputs.
      { principalId: identity.outputs.principalId, principalType: 'ServicePrincipal', roleDefinitionId: roles.storageQueueDataContributor }
    ], empty(principalId) ? [] : [
      { principalId: principalId, principalType: principalType, roleDefinitionId: roles.storageBlobDataContributor }
      { principalId: principalId, principalType: principalType, roleDefinitionId: roles.storageQueueDataContributor }
    ])
  }
}

module eventHubsNamespace './core/messaging/event-hubs.bicep' = {
  name: 'event-hubs'
  scope: rg
  params: {
    name: '${abbrs.eventHubNamespaces}${resourceToken}'
    location: location
    tags: tags
    throughputUnits: effectiveThroughputUnits
    partitionCount: effectivePartitionCount
    retentionDays: eventHubRetentionDays
    hubs: eventHubs
    // Data Receiver on each hub the app consumes, Data Sender on each hub it writes (see eventHubs above).
    appPrincipalId: identity.outputs.principalId
    roleAssignments: empty(principalId) ? [] : [
      { principalId: principalId, principalType: principalType, roleDefinitionId: roles.eventHubsDataOwner }
    ]
  }
}

module cosmos './core/database/cosmos-sql.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: '${abbrs.documentDBDatabaseAccounts}${resourceToken}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    throughputMode: effectiveThroughputMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    requestUnitsPerSecond: sized ? requiredRequestUnits : 0
    containers: cosmosContainers
    // Cosmos DB Built-in Data Contributor (data plane) for the handler's client and, for debugging, the deploying user.
    dataContributorPrincipalIds: concat([ identity.outputs.principalId ], empty(principalId) ? [] : [ principalId ])
  }
}

module keyVault './core/security/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    // Initial secret values, where given; otherwise the operator sets them (az keyvault secret set) before first use.
    secretValues: union(
      reduce(filter(collectorSources, s => !empty(collectorWriteKeys[?s] ?? '')), {}, (acc, s) => union(acc, { 'collector-${s}-write-key': collectorWriteKeys[s] })),
      reduce(filter(webhookSources, w => !empty(webhookSecrets[?w.name] ?? '')), {}, (acc, w) => union(acc, { 'webhook-${w.name}-secrets': webhookSecrets[w.name] })),
      reduce(filter(deliveryDestinations, d => !empty(deliverySecrets[?d.name] ?? '')), {}, (acc, d) => union(acc, { 'delivery-${d.name}-secrets': deliverySecrets[d.name] })))
    roleAssignments: concat([
      // Key Vault references in app settings resolve with the app's keyVaultReferenceIdentity.
      { principalId: identity.outputs.principalId, principalType: 'ServicePrincipal', roleDefinitionId: roles.keyVaultSecretsUser }
    ], empty(principalId) ? [] : [
      { principalId: principalId, principalType: principalType, roleDefinitionId: roles.keyVaultSecretsOfficer }
    ])
  }
}

// The handler's own settings (Section__Key, as .NET configuration binds them). Secrets are Key Vault references only.
var collectorSettings = reduce(collectorSources, {}, (settings, s) => union(settings, {
  'Collector__Sources__${s}__WriteKey': '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/collector-${s}-write-key/)'
}))

var webhookSettings = reduce(webhookSources, {}, (settings, w) => union(settings, {
  'Webhooks__Sources__${w.name}__Scheme': w.scheme
  'Webhooks__Sources__${w.name}__Secrets': '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/webhook-${w.name}-secrets/)'
}, empty(w.?publicUrl ?? '') ? {} : {
  'Webhooks__Sources__${w.name}__PublicUrl': w.publicUrl
}))

var deliverySettings = reduce(deliveryDestinations, {}, (settings, d) => union(settings, {
  'Delivery__Destinations__${d.name}__Url': d.url
  'Delivery__Destinations__${d.name}__Routes': d.routes
  'Delivery__Destinations__${d.name}__Secrets': '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/delivery-${d.name}-secrets/)'
}))

module functionApp './app/functions.bicep' = {
  name: 'functions'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    serviceName: 'functions'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    eventHubsFullyQualifiedNamespace: eventHubsNamespace.outputs.fullyQualifiedNamespace
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: effectiveMaximumInstanceCount
    alwaysReady: alwaysReady
    consoleClientId: consoleClientId
    appSettings: union({
      Cosmos__AccountEndpoint: cosmos.outputs.endpoint
      Cosmos__ManagedIdentityClientId: identity.outputs.clientId
      Cosmos__DatabaseName: cosmosDatabaseName
      Cosmos__CreateResources: 'false'
      Cosmos__ConnectionMode: 'Direct'
      Cosmos__LimitToEndpoint: 'false'
      // What an instance keeps of views and identifier owners between batches (README, "What an event costs"): a view is
      // 10–20 KB in memory, so ~100 MB of a 2 GB instance; an identifier ~200 bytes.
      Cosmos__CachedCustomers: string(instanceMemoryMB >= 4096 ? 20000 : (instanceMemoryMB >= 2048 ? 5000 : 1000))
      Cosmos__CachedIdentifiers: '100000'
      Collector__AllowedOrigins: collectorAllowedOrigins
      // The rules: how soon another instance's new rules version is used; the queues are infrastructure's (storageQueues).
      Rules__RefreshInterval: '00:00:30'
      Rules__CreateQueues: 'false'
      // Decisions of a profile younger than this wait, so one merged away moments later gets no messages of its own.
      Rules__SettleWindow: '00:01:00'
      // How long an applied event's id is remembered per customer: at least the hubs' retention (7 days).
      Ingestion__DedupWindow: '7.00:00:00'
      // Customers' history: a segment (append blob) per 64 MB; a rebuild reads a customer's segments whole.
      History__SegmentBytes: '67108864'
      // The key of the suppression list's hashes: fixed for the life of the environment (changing it forgets every
      // suppression), never sent anywhere; the hashes are useless without it.
      Privacy__SuppressionSalt: '${uniqueString(subscription().id, environmentName, 'suppression')}${uniqueString(resourceToken, 'salt')}'
      Privacy__RefreshInterval: '00:00:30'
      Identity__DefaultPhoneRegion: defaultPhoneRegion
      // Delivery: retries of one send inside an invocation (exponential backoff with jitter); the queue retries the
      // invocation after its visibility timeout (host.json), 5 times, then moves the message to {queue}-poison.
      Delivery__Retries: '3'
      Delivery__RetryDelay: '00:00:01'
      Delivery__AttemptTimeout: '00:00:10'
      // The console: people sign in with Entra ID (App Service authentication); never the development sign-in.
      Console__DevelopmentSignIn: 'false'
      Console__TrustPlatformPrincipal: empty(consoleClientId) ? 'false' : 'true'
    }, collectorSettings, webhookSettings, deliverySettings)
  }
  dependsOn: [
    // The app must be able to read its settings' secrets and reach its storage as soon as it starts.
    keyVault
  ]
}

// Outputs, named as the environment variables local tools read. Never a key or a connection string with a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output SERVICE_API_ENDPOINTS array = [ '${functionApp.outputs.uri}/api' ]
output SERVICE_FUNCTIONS_NAME string = functionApp.outputs.name
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE_NAME string = cosmosDatabaseName
output EVENTHUBS_NAMESPACE string = eventHubsNamespace.outputs.name
output EVENTHUBS_FULLY_QUALIFIED_NAMESPACE string = eventHubsNamespace.outputs.fullyQualifiedNamespace
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
