import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { createSqsClient } from '../../lib/aws/sqsClient';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import {
  functionNames,
  poisonEvent,
  putPoisonEvents,
  runLoad,
  seededRandom,
  type RequestOutcome,
} from '../../local/src/load';
import { startLocalStack, type LocalStack } from '../../local/src/stack';
import { encodeEvent, type TelemetryEvent } from '../../lib/telemetry/event';
import { receiveAll } from '../helpers/local';
import { startServicesChild, type ServicesChild } from '../../local/src/servicesChild';

// End to end through HTTP on a whole local stack (its own services: the stack's stream and queue
// names are fixed). 5,000 events are POSTed in 50 requests of 100, about 2% of items malformed;
// a few poison records (U+0000, which Postgres refuses in jsonb) are put straight on the stream
// while the POSTs run, as a producer that bypasses ingest would: ingest refuses U+0000 itself, so
// such records cannot arrive through HTTP.

const EVENTS = 5_000;
const POISON = 5;

describe('end to end: POST /telemetry to Postgres, poison records to the DLQ', () => {
  let services: ServicesChild;
  let stack: LocalStack;
  let db: Client;

  beforeAll(async () => {
    services = await startServicesChild();
    stack = await startLocalStack({
      port: 0,
      root: path.resolve(__dirname, '..', '..'),
      services,
      esmTiming: { pollIntervalMs: 200, shardDiscoveryIntervalMs: 500 },
    });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
    await services?.stop();
  }, 30_000);

  it('stores every accepted event once, dead-letters every poison record with its payload, and status finds them', async () => {
    const kinesis = createKinesisClient({
      region: stack.region,
      kinesisEndpoint: stack.kinesisEndpoint,
      sqsEndpoint: undefined,
      streamAddressing: 'name',
    });
    const sqs = createSqsClient({
      region: stack.region,
      kinesisEndpoint: undefined,
      sqsEndpoint: stack.sqsEndpoint,
      streamAddressing: 'name',
    });
    const random = seededRandom(2024);
    const poison: TelemetryEvent[] = Array.from({ length: POISON }, () => poisonEvent(random, functionNames(12)));
    const outcomes: RequestOutcome[] = [];
    let poisonPut: Promise<unknown> | undefined;

    const stats = await runLoad({
      apiUrl: stack.apiUrl,
      apiKey: stack.apiKey,
      // 5 s of sending at most; the 30 s bound only matters on a machine far slower than this one.
      rate: 1_000,
      durationSeconds: 30,
      events: EVENTS,
      batchSize: 100,
      malformedFraction: 0.02,
      seed: 6,
      onResponse: (outcome) => {
        outcomes.push(outcome);
        // Mid-run, so the poison records share consumer batches with valid ones.
        if (outcomes.length === 20)
          poisonPut = putPoisonEvents({ kinesis, stream: { streamName: stack.streamName } }, poison);
      },
    });
    expect(await poisonPut).toEqual({ put: poison, failed: 0 });

    // Every request answered 202, each refusing exactly the malformed items it carried.
    expect(stats).toMatchObject({
      requests: 50,
      eventsSent: EVENTS,
      byStatus: { '202': 50 },
      notAccepted: 0,
      unanswered: 0,
    });
    expect(stats.malformedSent).toBeGreaterThan(50);
    for (const outcome of outcomes) {
      expect(outcome.rejected).toBe(outcome.malformed);
      expect(outcome.acceptedIds).toHaveLength(outcome.items - outcome.malformed);
    }
    const accepted = outcomes.flatMap((o) => o.acceptedIds);
    expect(accepted).toHaveLength(EVENTS - stats.malformedSent);
    expect(new Set(accepted).size).toBe(accepted.length);

    await stack.drained(30_000);

    // telemetry_events holds exactly the accepted events: none missing, none twice, no poison.
    const { rows } = await db.query<{ event_id: string }>('SELECT event_id::text AS event_id FROM telemetry_events');
    expect(rows).toHaveLength(accepted.length);
    expect(rows.map((r) => r.event_id).sort()).toEqual([...accepted].sort());

    const status = await stack.status();
    expect(status).toMatchObject({
      eventsAccepted: accepted.length,
      written: accepted.length,
      relayed: accepted.length + POISON,
      functionErrors: 0,
    });

    // The DLQ holds each poison record once, as the consumer's record message with the exact bytes put.
    const messages = await receiveAll(sqs, stack.dlqUrl);
    expect(messages).toHaveLength(status.dlqDepth);
    const dead = messages.flatMap((m) => {
      const parsed = parseDlqMessage(m.Body ?? '');
      if (parsed.kind !== 'records') throw new Error(`unexpected DLQ message: ${m.Body?.slice(0, 200)}`);
      expect(parsed.message).toMatchObject({ reason: 'db-rejected', streamArn: stack.streamArn });
      return parsed.message.records;
    });
    expect(dead).toHaveLength(POISON);
    const deadByData = new Map(dead.map((record) => [record.data, record]));
    for (const event of poison) {
      const record = deadByData.get(encodeEvent(event).toString('base64'));
      expect(record).toMatchObject({ partitionKey: event.source });
    }

    // Status: 200 with the stored event for accepted ids; 202 (pending) for an id never sent and
    // for a dead-lettered one (from outside, dead-lettered and not yet processed look alike).
    const get = (id: string): Promise<Response> =>
      fetch(`${stack.apiUrl}/telemetry/${id}`, { headers: { 'x-api-key': stack.apiKey } });
    const sample = accepted.filter((_id, i) => i % 250 === 0);
    for (const id of sample) {
      const response = await get(id);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'stored',
        event: expect.objectContaining({ eventId: id }),
      });
    }
    expect((await get(randomUUID())).status).toBe(202);
    expect((await get(poison[0]?.eventId ?? '')).status).toBe(202);

    kinesis.destroy();
    sqs.destroy();
  }, 60_000);
});
