// The Touchpoints function app: a custom handler on Flex Consumption (FC1), deployed from a blob container with the
// app's user-assigned identity, every host connection identity-based.
param name string
param planName string
param location string
param tags object = {}

@description('The azd service name (azure.yaml services.<name>): azd finds the app to deploy by this tag.')
param serviceName string

param identityId string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param eventHubsFullyQualifiedNamespace string
param applicationInsightsConnectionString string

@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances: [{ name: \'http\' | \'function:<Name>\', instanceCount }].')
param alwaysReady array = []

@description('The handler\'s own settings (Cosmos__*, Collector__*, Webhooks__*), added to the host settings below.')
param appSettings object = {}

@description('The client id of the console\'s Entra ID app registration (app roles agent, marketer, admin); empty: no sign-in, the console refuses everyone.')
param consoleClientId string = ''

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      // A custom handler: host.json names the executable (self-contained linux-x64, so no .NET on the image).
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// The host's own connections, all through the user-assigned identity. On Flex Consumption the runtime is set in
// functionAppConfig, not by FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION (which Flex refuses).
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  EventHubConnection__fullyQualifiedNamespace: eventHubsFullyQualifiedNamespace
  EventHubConnection__credential: 'managedidentity'
  EventHubConnection__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The exporter's own usage reports probe the instance metadata address; the app's telemetry does not need them.
  APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true'
  // DefaultAzureCredential (the handler's Cosmos client) picks the user-assigned identity by this.
  AZURE_CLIENT_ID: identityClientId
  // The console's sign-in presents the app's managed identity as the registration's federated credential.
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(hostSettings, appSettings)
}

// The console's sign-in: App Service authentication with Entra ID. It lets every request through (the collector, the
// webhooks and the key-protected API keep their own authentication) and puts the signed-in person, with the app roles
// the registration grants, in X-MS-CLIENT-PRINCIPAL, which it strips from what clients send; the console enforces the
// roles itself and sends people without a session to /.auth/login/aad. No client secret: the app's managed identity is
// the registration's federated credential.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(consoleClientId)) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          clientId: consoleClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
        }
        validation: {
          allowedAudiences: [
            'api://${consoleClientId}'
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

// Deployment goes through Entra (azd, az functionapp deploy), never through basic publishing credentials.
resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = app.name
output id string = app.id
output uri string = 'https://${app.properties.defaultHostName}'
