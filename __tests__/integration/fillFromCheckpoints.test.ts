import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { processBatch, type ConsumerDeps } from '../../lib/consumer/processBatch';
import { readDatabaseConfig } from '../../lib/db/config';
import { DatabaseConnection } from '../../lib/db/connection';
import { applyMigrations } from '../../lib/db/migrate';
import { putRecords } from '../../lib/kinesis/putRecords';
import { fromLambdaRecord } from '../../lib/kinesis/shardRecord';
import { createObservability } from '../../lib/lambda/observability';
import { fillFromCheckpoints } from '../../lib/replay/fillFromCheckpoints';
import { encodeEvent } from '../../lib/telemetry/event';
import { streamArnOf, toKinesisEvent, toShardRecords } from '../helpers/kinesisEvent';
import {
  createQueue,
  createStream,
  freshDatabase,
  readAllRecords,
  receiveAll,
  testKinesis,
  testSqs,
} from '../helpers/local';

const observability = createObservability('fill-test', { POWERTOOLS_LOG_LEVEL: 'SILENT' });

function event(i: number) {
  return encodeEvent({
    v: 2,
    tenant: 'test',
    eventId: randomUUID(),
    source: `svc-${i % 4}`,
    type: 'invocation',
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString(),
    durationMs: i,
    payload: { i },
    receivedAt: new Date().toISOString(),
  });
}

describe('fillFromCheckpoints', () => {
  let db: { url: string; drop: () => Promise<void> };
  let connection: DatabaseConnection;
  let admin: Client;
  beforeAll(async () => {
    db = await freshDatabase();
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    await applyMigrations(admin);
    connection = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: db.url }));
  });
  afterAll(async () => {
    await connection.close();
    await admin.end();
    await db.drop();
  });

  it('writes what arrived after each shard checkpoint, reads unprocessed shards from the oldest, and repeats as a no-op', async () => {
    const kinesis = testKinesis();
    const sqs = testSqs();
    const stream = await createStream(kinesis, 2);
    const streamArn = streamArnOf(stream);
    const records = Array.from({ length: 400 }, (_, i) => ({ data: event(i), partitionKey: `svc-${i % 4}` }));
    expect(
      (await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 10_000 })).failed,
    ).toEqual([]);
    const onStream = await readAllRecords(kinesis, stream);
    const shards = [...new Set(onStream.map((r) => r.shardId))];
    expect(shards).toHaveLength(2);
    const consumer: ConsumerDeps = {
      db: connection,
      sqs,
      dlqUrl: await createQueue(sqs),
      maxMessageBytes: 262_144,
      functionName: 'consumer',
    };

    // The old trigger processed the first 60 records of the first shard only, then was deleted.
    const firstShard = onStream.filter((r) => r.shardId === shards[0]);
    await processBatch(toKinesisEvent(firstShard.slice(0, 60), streamArn).Records.map(fromLambdaRecord), consumer);

    const report = await fillFromCheckpoints(
      { kinesis, consumer, observability },
      { stream: { streamName: stream }, streamArn, deadline: Date.now() + 20_000 },
    );
    expect(report.dryRun).toBe(false);
    const byShard = new Map(report.shards.map((s) => [s.shardId, s]));
    expect(byShard.get(shards[0] as string)).toMatchObject({
      from: `after ${firstShard[59]?.SequenceNumber}`,
      read: firstShard.length - 60,
      written: firstShard.length - 60,
      duplicates: 0,
    });
    expect(byShard.get(shards[1] as string)).toMatchObject({
      from: 'oldest',
      read: 400 - firstShard.length,
      written: 400 - firstShard.length,
    });
    const { rows } = await admin.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_events');
    expect(Number(rows[0]?.n)).toBe(400);

    const again = await fillFromCheckpoints(
      { kinesis, consumer, observability },
      { stream: { streamName: stream }, streamArn, deadline: Date.now() + 20_000 },
    );
    expect(again.shards.map((s) => s.read)).toEqual([0, 0]);

    // With a rewind (parallelizationFactor > 1) it starts earlier by arrival time and only finds duplicates.
    const rewound = await fillFromCheckpoints(
      { kinesis, consumer, observability },
      { stream: { streamName: stream }, streamArn, rewindSeconds: 3600, deadline: Date.now() + 20_000 },
    );
    expect(rewound.shards.every((s) => s.from.startsWith('at ') && s.written === 0 && s.duplicates === s.read)).toBe(
      true,
    );
    expect(rewound.shards.reduce((n, s) => n + s.read, 0)).toBe(400);
  });
});

describe('checkpoints and poison not yet dead-lettered', () => {
  it('never checkpoints past a poison record the DLQ did not take, so the fill dead-letters it later', async () => {
    const db = await freshDatabase();
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    await applyMigrations(admin);
    const connection = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: db.url }));
    try {
      const kinesis = testKinesis();
      const sqs = testSqs();
      const stream = await createStream(kinesis, 1);
      const streamArn = streamArnOf(stream);
      const records = [
        { data: event(0), partitionKey: 'svc-0' },
        { data: Buffer.from('{"not json'), partitionKey: 'svc-0' },
        { data: event(2), partitionKey: 'svc-0' },
      ];
      await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 10_000 });
      const onStream = await readAllRecords(kinesis, stream);
      const batch = toShardRecords(onStream, streamArn);

      // The DLQ refuses (no such queue): the batch fails after writing the two good rows.
      const unreachable = {
        db: connection,
        sqs,
        dlqUrl: `${process.env.TEST_SQS_ENDPOINT}/000000000000/no-such-queue`,
        maxMessageBytes: 262_144,
        functionName: 'consumer',
      };
      await expect(processBatch(batch, unreachable)).rejects.toMatchObject({ name: 'DeadLetterError' });
      const checkpoint = async (): Promise<string | undefined> =>
        (
          await admin.query<{ s: string }>(
            'SELECT sequence_number::text AS s FROM shard_checkpoints WHERE stream_arn = $1',
            [streamArn],
          )
        ).rows[0]?.s;
      expect(await checkpoint()).toBe(onStream[0]?.SequenceNumber);

      // The trigger is re-created; the fill starts after the checkpoint and dead-letters the poison.
      const dlqUrl = await createQueue(sqs);
      const report = await fillFromCheckpoints(
        { kinesis, consumer: { ...unreachable, dlqUrl }, observability },
        { stream: { streamName: stream }, streamArn, deadline: Date.now() + 20_000 },
      );
      expect(report.shards[0]).toMatchObject({ read: 2, poison: 1, written: 0, duplicates: 1 });
      expect(await receiveAll(sqs, dlqUrl)).toHaveLength(1);
      expect(await checkpoint()).toBe(onStream[2]?.SequenceNumber);
    } finally {
      await connection.close();
      await admin.end();
      await db.drop();
    }
  });
});

describe('fillFromCheckpoints: dryRun and shardIds', () => {
  let db: { url: string; drop: () => Promise<void> };
  let connection: DatabaseConnection;
  let admin: Client;
  const kinesis = testKinesis();
  const sqs = testSqs();
  beforeAll(async () => {
    db = await freshDatabase();
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    await applyMigrations(admin);
    connection = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: db.url }));
  });
  afterAll(async () => {
    await connection.close();
    await admin.end();
    await db.drop();
    kinesis.destroy();
    sqs.destroy();
  });

  const rowCount = async (): Promise<number> =>
    Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_events')).rows[0]?.n);
  const checkpointed = async (streamArn: string): Promise<string[]> =>
    (
      await admin.query<{ shard_id: string }>(
        'SELECT shard_id FROM shard_checkpoints WHERE stream_arn = $1 ORDER BY shard_id',
        [streamArn],
      )
    ).rows.map((r) => r.shard_id);

  it('a dry fill over records with poison reads and counts them, writes no row and sends no dead letter', async () => {
    const stream = await createStream(kinesis, 1);
    const streamArn = streamArnOf(stream);
    const records = [
      { data: event(0), partitionKey: 'svc-0' },
      { data: Buffer.from('{"not json'), partitionKey: 'svc-1' },
      { data: event(2), partitionKey: 'svc-2' },
      { data: Buffer.from(JSON.stringify({ v: 1, eventId: 'not-a-uuid' })), partitionKey: 'svc-3' },
      { data: event(4), partitionKey: 'svc-0' },
    ];
    expect(
      (await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 10_000 })).failed,
    ).toEqual([]);
    const dlqUrl = await createQueue(sqs);
    const consumer: ConsumerDeps = { db: connection, sqs, dlqUrl, maxMessageBytes: 262_144, functionName: 'consumer' };
    const rowsBefore = await rowCount();

    const dry = await fillFromCheckpoints(
      { kinesis, consumer, observability },
      { stream: { streamName: stream }, streamArn, dryRun: true, deadline: Date.now() + 20_000 },
    );

    expect(dry.dryRun).toBe(true);
    expect(dry.shards).toHaveLength(1);
    expect(dry.shards[0]).toMatchObject({
      from: 'oldest',
      read: 5,
      written: 3,
      poison: 2,
      duplicates: 0,
      incomplete: false,
    });
    expect(await rowCount()).toBe(rowsBefore);
    expect(await checkpointed(streamArn)).toEqual([]);
    expect(await receiveAll(sqs, dlqUrl)).toEqual([]);

    // Not a vacuous check: the same fill for real writes the rows and dead-letters the poison.
    const real = await fillFromCheckpoints(
      { kinesis, consumer, observability },
      { stream: { streamName: stream }, streamArn, deadline: Date.now() + 20_000 },
    );
    expect(real.dryRun).toBe(false);
    expect(real.shards[0]).toMatchObject({ read: 5, written: 3, poison: 2 });
    expect(await rowCount()).toBe(rowsBefore + 3);
    expect((await receiveAll(sqs, dlqUrl)).length).toBeGreaterThan(0);
  });

  it('shardIds limits the fill to the named shards', async () => {
    const stream = await createStream(kinesis, 2);
    const streamArn = streamArnOf(stream);
    const records = Array.from({ length: 60 }, (_, i) => ({ data: event(i), partitionKey: `key-${i}` }));
    expect(
      (await putRecords(kinesis, records, { stream: { streamName: stream }, deadline: Date.now() + 10_000 })).failed,
    ).toEqual([]);
    const onStream = await readAllRecords(kinesis, stream);
    const shards = [...new Set(onStream.map((r) => r.shardId))].sort();
    expect(shards).toHaveLength(2);
    const [skipped, named] = shards as [string, string];
    const onNamed = onStream.filter((r) => r.shardId === named).length;
    expect(onNamed).toBeGreaterThan(0);
    expect(onNamed).toBeLessThan(60);
    const consumer: ConsumerDeps = {
      db: connection,
      sqs,
      dlqUrl: await createQueue(sqs),
      maxMessageBytes: 262_144,
      functionName: 'consumer',
    };
    const rowsBefore = await rowCount();

    const report = await fillFromCheckpoints(
      { kinesis, consumer, observability },
      { stream: { streamName: stream }, streamArn, shardIds: [named], deadline: Date.now() + 20_000 },
    );

    expect(report.shards.map((s) => s.shardId)).toEqual([named]);
    expect(report.shards[0]).toMatchObject({ from: 'oldest', read: onNamed, written: onNamed });
    expect(await rowCount()).toBe(rowsBefore + onNamed);
    expect(await checkpointed(streamArn)).toEqual([named]);
    expect(await checkpointed(streamArn)).not.toContain(skipped);
  });
});
