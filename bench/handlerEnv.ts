/**
 * The environment the real handlers read when they load, pointed at this run's local services: the
 * same variables serverless.yml gives them, with local values. Set once, before any handler is
 * imported (each reads its configuration at cold start).
 */
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import { applyMigrations } from '../lib/db/migrate';
import { maintainPartitions } from '../lib/maintain/maintainPartitions';
import { createSsmClient } from '../lib/aws/ssmClient';
import { LOCAL_API_KEY } from '../local/src/stack';
import { seedLocalKey } from '../local/src/stack/localKey';
import { createStream } from './streams';
import type { BenchContext } from './context';

export const INGEST_STREAM = 'bench-ingest';
export const DLQ_NAME = 'bench-dlq';

export interface HandlerSetup {
  apiKey: string;
  dlqUrl: string;
  ingestStream: string;
}

/**
 * Migrates the database, creates the ingest stream and the DLQ, and sets `process.env`.
 *
 * @example
 * const setup = await prepareHandlerEnv(ctx);
 * const { handler } = await import('../handlers/ingest.js');
 */
export async function prepareHandlerEnv(ctx: BenchContext): Promise<HandlerSetup> {
  const admin = new Client({ connectionString: ctx.services.databaseUrl });
  await admin.connect();
  try {
    await applyMigrations(admin);
    // The partitions a deployed stage has (the migrate function makes them): rows land in their day's
    // partition, not the default one.
    await maintainPartitions(admin, { interval: 'day', retentionDays: 365, ahead: 7, lookbackDays: 7 });
  } finally {
    await admin.end();
  }
  await createStream(ctx.kinesis, INGEST_STREAM);
  const { QueueUrl } = await ctx.sqs.send(new CreateQueueCommand({ QueueName: DLQ_NAME }));
  if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  const apiKeysPath = '/telemetry-pipeline/bench/api-keys/';
  await seedLocalKey(createSsmClient({ ...ctx.aws, ssmEndpoint: ctx.services.ssmEndpoint }), apiKeysPath);
  Object.assign(process.env, {
    AWS_REGION: ctx.aws.region,
    AWS_ENDPOINT_URL_SSM: ctx.services.ssmEndpoint,
    API_KEYS_PATH: apiKeysPath,
    AWS_ENDPOINT_URL_KINESIS: ctx.services.kinesisEndpoint,
    AWS_ENDPOINT_URL_SQS: ctx.services.sqsEndpoint,
    DATABASE_URL: ctx.services.databaseUrl,
    DATABASE_SSL: 'false',
    DLQ_URL: QueueUrl,
    TELEMETRY_STREAM_NAME: INGEST_STREAM,
    MAX_BODY_BYTES: '5242880',
    // EMF lines would flood the terminal; serialising them costs microseconds either way.
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  return { apiKey: LOCAL_API_KEY, dlqUrl: QueueUrl, ingestStream: INGEST_STREAM };
}
