import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { processBatch, type ConsumerDeps } from '../../lib/consumer/processBatch';
import { classifyDatabaseError } from '../../lib/db/classifyError';
import { DatabaseConnection } from '../../lib/db/connection';
import { applyMigrations } from '../../lib/db/migrate';
import type { Queryable } from '../../lib/db/queryable';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import type { ShardRecord } from '../../lib/kinesis/shardRecord';
import { shardedRecord, toShardRecords } from '../helpers/kinesisEvent';
import { createQueue, receiveAll, testSqs } from '../helpers/local';
import { startStoppablePostgres, type StoppablePostgres } from '../helpers/stoppablePostgres';

// A Postgres of this file's own, stopped and started under the consumer; the shared one is untouched.

const streamArn = 'arn:aws:kinesis:us-east-1:000000000000:stream/outage';

/** A batch as Lambda delivers it (through the one Lambda Kinesis record factory), as the consumer takes it. */
function batch(size: number, first: bigint, nulAt: readonly number[] = []): { records: ShardRecord[]; ids: string[] } {
  const ids: string[] = [];
  const onShard = Array.from({ length: size }, (_, i) => {
    const eventId = randomUUID();
    ids.push(eventId);
    const event = {
      v: 2,
      tenant: 'test',
      eventId,
      source: `svc-${i % 3}`,
      type: 'invocation',
      timestamp: new Date().toISOString(),
      durationMs: i,
      payload: { i, note: nulAt.includes(i) ? 'nul\u0000' : 'ok' },
      receivedAt: new Date().toISOString(),
    };
    return shardedRecord({
      shardId: 'shardId-000000000000',
      sequenceNumber: (first + BigInt(i)).toString(),
      partitionKey: event.source,
      data: Buffer.from(JSON.stringify(event)),
      arrival: new Date(),
    });
  });
  return {
    records: toShardRecords(onShard, streamArn, { invokeIdentityArn: 'arn:aws:iam::000000000000:role/consumer' }),
    ids,
  };
}

let pg: StoppablePostgres;
let connection: DatabaseConnection;
const sqs = testSqs();

beforeAll(async () => {
  pg = await startStoppablePostgres();
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  await applyMigrations(client);
  await client.end();
  connection = new DatabaseConnection({
    source: { kind: 'url', url: pg.url },
    tls: { mode: 'disable' },
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 3_000,
    pooled: false,
  });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  await pg?.close();
  sqs.destroy();
}, 30_000);

async function countStored(ids: readonly string[]): Promise<number> {
  const { rows } = await connection.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM telemetry_events WHERE event_id = ANY($1::uuid[])',
    [ids],
  );
  return rows[0]?.n ?? -1;
}

function deps(db: Queryable, dlqUrl: string): ConsumerDeps {
  return { db, sqs, dlqUrl, maxMessageBytes: 262_144, functionName: 'consumer-outage-test' };
}

describe('consumer: Postgres stopped mid-run', () => {
  it('fails the invocation (retry path), acknowledges nothing, and reconnects once Postgres is back', async () => {
    const queueUrl = await createQueue(sqs);

    // A first invocation makes the container's connection, which then sits idle between invocations.
    const warm = batch(10, 10n ** 30n);
    expect((await processBatch(warm.records, deps(connection, queueUrl))).batchItemFailures).toEqual([]);
    expect(connection.stats.connects).toBe(1);

    // The next batch needs bisection (one row Postgres refuses at index 150). Statement 1 (all 200) is
    // refused, statement 2 commits the first half, then Postgres goes down before statement 3:
    // mid-bisection, a real fault at a fixed point rather than a timed one.
    const { records, ids } = batch(200, 10n ** 31n, [150]);
    let statements = 0;
    const stopsAfterFirst: Queryable = {
      query: (async (...args: Parameters<Queryable['query']>) => {
        statements += 1;
        if (statements === 3) await pg.stop();
        return connection.query(...args);
      }) as Queryable['query'],
    };
    const error = await processBatch(records, deps(stopsAfterFirst, queueUrl)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    expect(classifyDatabaseError(error)).toBe('transient');
    // Nothing acknowledged: the invocation threw (no batchItemFailures answer), and no poison was dead-lettered
    // for a batch that did not finish; Lambda will deliver all 200 records again.
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);

    // While Postgres is down, Lambda's retries fail the same way.
    await expect(processBatch(records, deps(connection, queueUrl))).rejects.toThrow();

    await pg.start();
    // What committed before the outage stays committed.
    expect(await countStored(ids)).toBe(100);
    const retried = await processBatch(records, deps(connection, queueUrl));
    expect(retried.batchItemFailures).toEqual([]);
    expect(retried.stats).toMatchObject({ written: 99, duplicates: 100, poison: 1 });
    // The same connection object, re-made: one connect before the outage, one after.
    expect(connection.stats.connects).toBe(2);
    expect(await countStored(ids)).toBe(199);
    expect(await countStored(warm.ids)).toBe(10);
    const messages = await receiveAll(sqs, queueUrl);
    const dead = messages.flatMap((m) => {
      const parsed = parseDlqMessage(m.Body ?? '');
      return parsed.kind === 'records' ? parsed.message.records.map((r) => r.sequenceNumber) : [];
    });
    expect(dead).toEqual([records[150]?.sequenceNumber]);
  });
});
