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

// One page for the operator: the same signals as the alerts, over time.
var workbookQueries = [
  { title: 'Events accepted and rejected per source', query: 'customMetrics | where name in ("touchpoints.events.accepted", "touchpoints.events.rejected") | extend source = tostring(customDimensions.source) | summarize events = sum(valueSum) by bin(timestamp, 5m), series = strcat(name, " ", source) | render timechart' }
  { title: 'Rejections by reason', query: 'customMetrics | where name == "touchpoints.events.rejected" | summarize events = sum(valueSum) by reason = tostring(customDimensions.reason) | top 20 by events' }
  { title: 'Ingestion lag (s, average) and batch size', query: 'customMetrics | where name in ("touchpoints.ingestion.lag", "touchpoints.ingestion.batch.size") | summarize value = sum(valueSum) / sum(valueCount) by bin(timestamp, 5m), name | render timechart' }
  { title: 'Merges and identity conflicts', query: 'customMetrics | where name in ("touchpoints.identity.merges", "touchpoints.identity.conflicts") | summarize count = sum(valueSum) by bin(timestamp, 1h), name | render columnchart' }
  { title: 'Rule decisions by rule and outcome', query: 'customMetrics | where name == "touchpoints.rules.decisions" | summarize decisions = sum(valueSum) by rule = tostring(customDimensions.rule), outcome = tostring(customDimensions.outcome), reason = tostring(customDimensions.reason) | order by decisions desc' }
  { title: 'Failed invocations', query: 'requests | where success == false | summarize failures = count() by bin(timestamp, 5m), name | render timechart' }
]

var workbookItems = [for (q, i) in workbookQueries: {
  type: 3
  name: 'query-${i}'
  content: {
    version: 'KqlItem/1.0'
    title: q.title
    query: q.query
    queryType: 0
    resourceType: 'microsoft.insights/components'
    timeContext: { durationMs: 86400000 }
  }
}]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsights.id, 'touchpoints-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Touchpoints operations'
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: string({ version: 'Notebook/1.0', items: workbookItems })
  }
}

output logAnalyticsWorkspaceId string = logAnalytics.id
output applicationInsightsName string = applicationInsights.name
// The connection string names the component (its instrumentation key is an identifier, not a credential: with local
// auth off, ingestion also needs an Entra token, see APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
