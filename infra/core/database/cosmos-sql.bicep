// Cosmos DB (NoSQL): serverless by default, autoscale as an option; keys off (disableLocalAuth), so only Entra
// identities with a data-plane role (sqlRoleAssignments) get in.
import { containerAutoscaleMax } from '../../sizing.bicep'

param name string
param location string
param tags object = {}
param databaseName string

@allowed([ 'serverless', 'autoscale' ])
param throughputMode string = 'serverless'

@minValue(1000)
param autoscaleMaxThroughput int = 1000

@description('Sized for a rate (autoscale): the RU/s the whole load needs, split over the containers by their share; 0: the database shares autoscaleMaxThroughput.')
param requestUnitsPerSecond int = 0

@description('Containers: [{ name, partitionKey, indexedPaths: [paths], defaultTtl: seconds (0 off, -1 per item), share: percent of requestUnitsPerSecond }].')
param containers array

// Per container when sized for a rate: its share of the load (containerAutoscaleMax in sizing.bicep).
var perContainer = throughputMode == 'autoscale' && requestUnitsPerSecond > 0

@description('Principals granted Cosmos DB Built-in Data Contributor on the account.')
param dataContributorPrincipalIds array = []

// Cosmos DB Built-in Data Contributor (a data-plane role definition of the account, not an Azure RBAC role).
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: throughputMode == 'serverless' ? [ { name: 'EnableServerless' } ] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: throughputMode == 'autoscale' && !perContainer ? { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } } : {}
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [for c in containers: {
  parent: database
  name: c.name
  properties: {
    resource: union({
      id: c.name
      partitionKey: {
        paths: [ c.partitionKey ]
        kind: 'Hash'
        version: 2
      }
      // Only what queries filter or sort on is indexed; point reads (by id and partition key) need no index.
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: map(c.indexedPaths, path => { path: path })
        excludedPaths: [ { path: '/*' } ]
      }
    }, c.defaultTtl == 0 ? {} : { defaultTtl: c.defaultTtl })
    options: perContainer ? { autoscaleSettings: { maxThroughput: containerAutoscaleMax(requestUnitsPerSecond, c.share) } } : {}
  }
}]

resource dataContributors 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [for principalId in dataContributorPrincipalIds: {
  parent: account
  name: guid(account.id, principalId, dataContributorRoleId)
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'
    principalId: principalId
    scope: account.id
  }
}]

output name string = account.name
output id string = account.id
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
