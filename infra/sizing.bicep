// Sizing from a target rate: the arithmetic main.bicep applies when targetEventsPerSecond is set, as functions so that
// tests evaluate them with the Bicep compiler itself (SizingTests). R is the sustained events per second (web, CRM and
// social together); the per-event figures are the cost meter's (README, "What an event costs").

@export()
@description('Cosmos DB request units per second the load needs: R × the request units one event costs.')
func requestUnitsFor(eventsPerSecond int, requestUnitsPerEvent int) int => eventsPerSecond * requestUnitsPerEvent

// Serverless bills every request ($0.25 per million RU): sustained, a RU/s costs ~$0.66 a month, against ~$0.09 on
// autoscale ($0.012 per 100 RU/s-hour), whose floor is a tenth of each container's maximum (8 containers × 100 RU/s,
// ~$70 a month). So serverless only for a trickle (≤ 100 RU/s, 10 events/s at 10 RU/event); it also caps a container at
// 5,000 RU/s. A deployment whose traffic comes in rare bursts can still choose it with cosmosThroughputMode.
@export()
func cosmosModeFor(requestUnitsPerSecond int) ('serverless' | 'autoscale') => requestUnitsPerSecond <= 100 ? 'serverless' : 'autoscale'

// Each container gets autoscale for its share (percent) of the load, in the 1,000 RU/s steps autoscale takes; it scales
// down to a tenth of that when idle.
@export()
func containerAutoscaleMax(requestUnitsPerSecond int, sharePercent int) int => max(1000, (requestUnitsPerSecond * sharePercent / 100 + 999) / 1000 * 1000)

// A Standard throughput unit takes 1,000 events/s (or 1 MB/s) in. Each event brings ~0.3 customer-changes messages (the
// meter: 0.26), so 1.3 R events/s come in; Standard stops at 40 units.
@export()
func throughputUnitsFor(eventsPerSecond int) int => min(40, max(1, (eventsPerSecond * 13 / 10 + 999) / 1000))

// Partitions bound parallelism (an instance reads a partition at a time) and an instance handles ~1,000 events/s (the
// meter: ~0.9 ms of CPU per event): R / 500 leaves each at half load; at least 4, at most 32 (Standard).
@export()
func partitionsFor(eventsPerSecond int) int => min(32, max(4, (eventsPerSecond + 499) / 500))

// The Event Hubs triggers (web, crm, social, changes) use at most one instance per partition each, and the HTTP functions
// a few more; the Flex Consumption plan takes 40 to 1,000.
@export()
func instancesFor(partitions int) int => min(1000, max(40, partitions * 4 + 10))
