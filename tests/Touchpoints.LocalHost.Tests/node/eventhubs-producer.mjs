// A producer written with the JavaScript Event Hubs SDK, as a social-listening tool would be:
//   node eventhubs-producer.mjs '<json: { connectionString, hub, partitionKey, bodies }>'
// Sends the bodies as one batch under the partition key, then reads the hub's partition ids; prints one JSON line.
import { EventHubProducerClient } from '@azure/event-hubs';

const { connectionString, hub, partitionKey, bodies } = JSON.parse(process.argv[2] ?? '{}');
const producer = new EventHubProducerClient(connectionString, hub);
try {
  const batch = await producer.createBatch({ partitionKey });
  for (const body of bodies) if (!batch.tryAdd({ body })) throw new Error('the batch is full');
  await producer.sendBatch(batch);
  const partitionIds = await producer.getPartitionIds();
  console.log(JSON.stringify({ sent: batch.count, maxSizeInBytes: batch.maxSizeInBytes, partitionIds }));
} catch (e) {
  console.error(e?.stack ?? String(e));
  process.exitCode = 1;
} finally {
  await producer.close();
}
