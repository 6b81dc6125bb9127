// Log Analytics and workspace-based Application Insights with local (instrumentation key) auth off: telemetry is
// accepted only from Entra identities holding Monitoring Metrics Publisher on the component.
param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object = {}

@description('Role assignments on the Application Insights component: [{ principalId, principalType, roleDefinitionId }].')
param roleAssignments array = []

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    retentionInDays: 30
    sku: {
      name: 'PerGB2018'
    }
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for ra in roleAssignments: {
  name: guid(applicationInsights.id, ra.principalId, ra.roleDefinitionId)
  scope: applicationInsights
  properties: {
    principalId: ra.principalId
    principalType: ra.principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
  }
}]

// Alerts an operator acts on, from the handler's own telemetry (requests and the meter Touchpoints, exported as
// customMetrics). They show in the portal's alerts; route them with an action group where the team wants them.
var alerts = [
  {
    name: 'failed-invocations'
    description: 'Functions failed (ingestion, rules, collector, webhooks): each is retried, but a run of them means Cosmos DB, Storage or Event Hubs is failing.'
    severity: 1
    query: 'requests | where success == false | summarize failures = count()'
    column: 'failures'
    threshold: 5
  }
  {
    name: 'rejection-rate'
    description: 'More than 5% of incoming events were refused in the last 15 minutes: a sender changed its format or lost its identifiers (see the rejected container).'
    severity: 2
    query: 'customMetrics | where name in ("touchpoints.events.rejected", "touchpoints.events.accepted") | summarize rejected = sumif(valueSum, name == "touchpoints.events.rejected"), total = sum(valueSum) | where total > 100 | project rate = 100.0 * rejected / total'
    column: 'rate'
    threshold: 5
  }
  {
    name: 'ingestion-lag'
    description: 'Events waited more than 5 minutes on average between their hub and their customer view: ingestion is falling behind.'
    severity: 2
    query: 'customMetrics | where name == "touchpoints.ingestion.lag" | summarize lag = sum(valueSum) / sum(valueCount) | where isnotnull(lag)'
    column: 'lag'
    threshold: 300
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for alert in alerts: {
  name: '${applicationInsightsName}-${alert.name}'
  location: location
  tags: tags
  properties: {
    displayName: alert.name
    description: alert.description
    severity: alert.severity
    enabled: true
    scopes: [ applicationInsights.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: alert.query
          timeAggregation: 'Total'
          metricMeasureColumn: alert.column
          operator: 'GreaterThan'
          threshold: alert.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
  }
}]

output logAnalyticsWorkspaceId string = logAnalytics.id
output applicationInsightsName string = applicationInsights.name
// The connection string names the component (its instrumentation key is an identifier, not a credential: with local
// auth off, ingestion also needs an Entra token, see APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
