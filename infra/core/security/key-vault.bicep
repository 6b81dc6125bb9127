// Key Vault (RBAC authorization, soft delete) for the collector's write keys and the webhook signing secrets, which the
// app reads through Key Vault references in its app settings.
param name string
param location string
param tags object = {}

@secure()
@description('Initial secret values by secret name; secrets not given here are set by the operator (az keyvault secret set).')
param secretValues object = {}

@description('Role assignments on the vault: [{ principalId, principalType, roleDefinitionId }].')
param roleAssignments array = []

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in items(secretValues): {
  parent: vault
  name: secret.key
  properties: {
    value: secret.value
  }
}]

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for ra in roleAssignments: {
  name: guid(vault.id, ra.principalId, ra.roleDefinitionId)
  scope: vault
  properties: {
    principalId: ra.principalId
    principalType: ra.principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
  }
}]

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
