// The Event Hubs namespace (Standard, local/SAS auth off), its hubs and consumer groups, and the app's data roles on
// each hub: Data Receiver where it consumes, Data Sender where it writes (least privilege, per hub).
param name string
param location string
param tags object = {}

@minValue(1)
@maxValue(40)
param throughputUnits int = 1

@minValue(1)
@maxValue(32)
param partitionCount int = 4

@minValue(1)
@maxValue(7)
param retentionDays int = 1

@description('Hubs: [{ name, consumerGroups: [names], appReceives: bool, appSends: bool }].')
param hubs array

@description('The app\'s identity: Data Receiver on hubs with appReceives, Data Sender on hubs with appSends.')
param appPrincipalId string

@description('Role assignments on the namespace: [{ principalId, principalType, roleDefinitionId }].')
param roleAssignments array = []

var dataReceiver = 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde' // Azure Event Hubs Data Receiver
var dataSender = '2b629674-e913-4c01-ae53-ef4638d8f975' // Azure Event Hubs Data Sender

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: throughputUnits
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    isAutoInflateEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

resource eventHubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [for hub in hubs: {
  parent: namespace
  name: hub.name
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: retentionDays
  }
}]

// One consumer group per consuming function, so each reads every event at its own pace with its own checkpoints.
resource consumerGroups 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [for group in flatten(map(hubs, hub => map(hub.consumerGroups, g => { hub: hub.name, name: g }))): {
  name: '${name}/${group.hub}/${group.name}'
  properties: {}
  dependsOn: [
    eventHubs
  ]
}]

resource receivers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (hub, i) in hubs: if (hub.appReceives) {
  name: guid(eventHubs[i].id, appPrincipalId, dataReceiver)
  scope: eventHubs[i]
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataReceiver)
  }
}]

resource senders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (hub, i) in hubs: if (hub.appSends) {
  name: guid(eventHubs[i].id, appPrincipalId, dataSender)
  scope: eventHubs[i]
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSender)
  }
}]

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for ra in roleAssignments: {
  name: guid(namespace.id, ra.principalId, ra.roleDefinitionId)
  scope: namespace
  properties: {
    principalId: ra.principalId
    principalType: ra.principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
  }
}]

output name string = namespace.name
output id string = namespace.id
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
