/**
 * Measures the consumer handler on a 1,000-record batch against local Postgres, and per-record
 * INSERTs in one transaction (the obvious alternative) in the same run, alternating the two so that
 * drift (cache, autovacuum, other load) hits both alike. Every batch has fresh eventIds: real inserts.
 *
 *   npx tsx scripts/measure-consumer.ts [rounds=30]
 *
 * Starts its own kinesalite/fauxqs/Postgres (or uses DATABASE_URL's server), and prints medians/p95.
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { Client } from 'pg';
import { createSqsClient } from '../lib/aws/clients';
import { decodeRecords } from '../lib/consumer/decodeRecords';
import { applyMigrations } from '../lib/db/migrate';
import { startLocalServices } from '../lib/local/services';

const BATCH = 1_000;
const WARMUP = 3;
const streamArn = 'arn:aws:kinesis:us-east-1:000000000000:stream/measure';
let sequence = 10n ** 40n;

function makeBatch(): KinesisStreamEvent {
  const now = Date.now();
  return {
    Records: Array.from({ length: BATCH }, (_, i): KinesisStreamRecord => {
      const event = {
        v: 1,
        eventId: randomUUID(),
        source: `service-${i % 20}`,
        type: 'invocation',
        timestamp: new Date(now - i).toISOString(),
        durationMs: 10 + (i % 500) / 3,
        payload: { requestId: randomUUID(), region: 'us-east-1', memoryMb: 1024, coldStart: i % 50 === 0, billedMs: 100, note: 'x'.repeat(150) },
        receivedAt: new Date(now).toISOString(),
      };
      sequence += 1n;
      const sequenceNumber = sequence.toString();
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: event.source,
          sequenceNumber,
          data: Buffer.from(JSON.stringify(event)).toString('base64'),
          approximateArrivalTimestamp: now / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/consumer',
        awsRegion: 'us-east-1',
        eventSourceARN: streamArn,
      };
    }),
  };
}

const INSERT_ONE = `INSERT INTO telemetry_events
  (event_id, source, type, event_time, duration_ms, payload, shard_id, sequence_number, arrival_time, received_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING`;

/** The baseline: same decode, then one INSERT per record and the checkpoint, in one transaction. */
async function perRecordInserts(client: Client, event: KinesisStreamEvent): Promise<void> {
  const { valid } = decodeRecords(event.Records);
  await client.query('BEGIN');
  try {
    for (const { row } of valid) {
      await client.query(INSERT_ONE, [
        row.event_id, row.source, row.type, row.event_time, row.duration_ms, JSON.stringify(row.payload),
        row.shard_id, row.sequence_number, row.arrival_time, row.received_at,
      ]);
    }
    const last = valid.at(-1)?.row;
    if (last) {
      await client.query(
        `INSERT INTO shard_checkpoints AS c (stream_arn, shard_id, sequence_number, arrival_time) VALUES ($1, $2, $3, $4)
         ON CONFLICT (stream_arn, shard_id) DO UPDATE SET sequence_number = EXCLUDED.sequence_number, arrival_time = EXCLUDED.arrival_time
         WHERE EXCLUDED.sequence_number > c.sequence_number`,
        [streamArn, last.shard_id, last.sequence_number, last.arrival_time],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 30);
  // Local credentials for fauxqs, set before any client exists.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const services = await startLocalServices({ databaseUrl: process.env.DATABASE_URL });
  const client = new Client({ connectionString: services.databaseUrl });
  try {
    await client.connect();
    await applyMigrations(client);
    const sqs = createSqsClient({ region: 'us-east-1', kinesisEndpoint: undefined, sqsEndpoint: services.sqsEndpoint });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'measure-dlq' }));
    sqs.destroy();

    Object.assign(process.env, {
      DATABASE_URL: services.databaseUrl,
      DLQ_URL: QueueUrl,
      AWS_ENDPOINT_URL_SQS: services.sqsEndpoint,
      AWS_REGION: 'us-east-1',
      // EMF lines would flood the report; serialising them is microseconds either way.
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const { handler } = (await import('../handlers/consumer.js')) as {
      handler: (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;
    };
    const context = { functionName: 'consumer', getRemainingTimeInMillis: () => 60_000 } as Context;

    const handlerMs: number[] = [];
    const perRecordMs: number[] = [];
    for (let round = 0; round < WARMUP + rounds; round += 1) {
      const a = makeBatch();
      const b = makeBatch();
      const runHandler = async (): Promise<number> =>
        time(async () => {
          const response = await handler(a, context);
          if (response.batchItemFailures.length > 0) throw new Error('handler reported failures');
        });
      const runPerRecord = (): Promise<number> => time(() => perRecordInserts(client, b));
      let h: number;
      let p: number;
      if (round % 2 === 0) {
        h = await runHandler();
        p = await runPerRecord();
      } else {
        p = await runPerRecord();
        h = await runHandler();
      }
      if (round >= WARMUP) {
        handlerMs.push(h);
        perRecordMs.push(p);
      }
    }
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_events');
    const expected = (WARMUP + rounds) * BATCH * 2;
    if (rows[0]?.n !== expected) throw new Error(`expected ${expected} rows, found ${rows[0]?.n}`);

    const summary = {
      batch: BATCH,
      rounds,
      handler: { medianMs: +quantile(handlerMs, 0.5).toFixed(1), p95Ms: +quantile(handlerMs, 0.95).toFixed(1) },
      perRecordInsertsInTransaction: { medianMs: +quantile(perRecordMs, 0.5).toFixed(1), p95Ms: +quantile(perRecordMs, 0.95).toFixed(1) },
      speedup: +(quantile(perRecordMs, 0.5) / quantile(handlerMs, 0.5)).toFixed(2),
      recordBytes: Buffer.from(makeBatch().Records[0]?.kinesis.data ?? '', 'base64').length,
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await client.end().catch(() => undefined);
    await services.stop();
  }
  // The handler's module-level connection and keep-alive sockets would hold the process open.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
