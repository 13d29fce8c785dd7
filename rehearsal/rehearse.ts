/**
 * `npm run rehearse`: a real `serverless deploy` of a throw-away stage, end to end, on this machine.
 * AWS is moto's server mode (rehearsal/moto_server.py names each of its gaps and what is done about
 * it); the database is a TLS-only PostgreSQL with its own CA (local/src/tlsPostgres.ts). In order:
 *
 *  1. the operator's prerequisites: the database secret, then `npm run stage -- init` (API key);
 *  2. `serverless deploy`, which runs the migrations through the migrate function's custom resource;
 *  3. `serverless info`, the stack's outputs;
 *  4. the deployed zips, invoked through the Lambda API with their deployed environment: ingest takes
 *     an event (202), the consumer writes the stream's records over verified TLS, status finds the event;
 *  5. the failures bucket: the mappings' on-failure destination, and a failed batch Lambda would write
 *     there is announced on the DLQ by the bucket's notification;
 *  6. the replay CLI's `--stage` path: the deployed replay function drains the DLQ (that notification,
 *     read from the bucket, and a metadata-only on-failure record, re-read from the stream);
 *  7. `serverless remove`, after emptying the bucket as an operator would.
 *
 * Exits 1 at the first step that does not do what it should, with what it saw. Bounded: each step
 * has a time limit, and the whole run takes about a minute.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteObjectsCommand,
  GetBucketNotificationConfigurationCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import Table from 'cli-table3';
import { Client } from 'pg';
import { requestHandler } from '../lib/aws/requestHandler';
import { startMoto, type MotoServer } from '../local/src/motoServer';
import { offlineService, type OfflineService } from '../local/src/offlineService';
import { startTlsPostgres, type TlsPostgres } from '../local/src/tlsPostgres';

const ROOT = path.resolve(__dirname, '..');
const REGION = 'us-east-1';
const SERVICE = 'telemetry-pipeline';
const STAGE = `rh${randomBytes(3).toString('hex')}`;
const STACK = `${SERVICE}-${STAGE}`;
const STEP_TIMEOUT_MS = 180_000;

interface StepResult {
  step: string;
  ms: number;
  detail: string;
}

class RehearsalError extends Error {
  override readonly name = 'RehearsalError';
}

const results: StepResult[] = [];

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new RehearsalError(message);
}

async function step(name: string, run: () => Promise<string>): Promise<void> {
  process.stderr.write(`• ${name} ...\n`);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RehearsalError(`${name}: no result in ${STEP_TIMEOUT_MS / 1000} s`)),
      STEP_TIMEOUT_MS,
    );
  });
  try {
    const detail = await Promise.race([run(), timeout]);
    results.push({ step: name, ms: Date.now() - started, detail });
    process.stderr.write(`  ok (${Date.now() - started} ms): ${detail}\n`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a project script (tsx) with the rehearsal's AWS environment; resolves with stdout, rejects with both. */
function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new RehearsalError(`${args.join(' ')} exited ${code}:\n${stdout}${stderr}`));
    });
  });
}

function apiEvent(
  method: 'GET' | 'POST',
  rawPath: string,
  headers: Record<string, string>,
  body?: string,
  query?: Record<string, string>,
): object {
  const now = new Date();
  const routeKey = method === 'POST' ? 'POST /telemetry' : query ? 'GET /telemetry' : 'GET /telemetry/{eventId}';
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    ...(query ? { queryStringParameters: query } : {}),
    headers: { host: 'rehearsal.execute-api.us-east-1.amazonaws.com', ...headers },
    ...(method === 'GET' && !query ? { pathParameters: { eventId: rawPath.split('/').pop() } } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'rehearsal',
      domainName: 'rehearsal.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'rehearsal',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'rehearsal' },
      requestId: randomBytes(8).toString('hex'),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

async function invoke(lambda: LambdaClient, fn: string, event: object): Promise<Record<string, unknown>> {
  const response = await lambda.send(
    new InvokeCommand({ FunctionName: `${STACK}-${fn}`, Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
  check(!response.FunctionError, `${fn} failed: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function streamRecords(kinesis: KinesisClient, streamName: string) {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const shardId = Shards[0]?.ShardId ?? '';
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
  return { shardId, records: Records };
}

async function outputs(cloudFormation: CloudFormationClient): Promise<Record<string, string>> {
  const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
  return Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

async function rehearse(database: TlsPostgres, moto: MotoServer, service: OfflineService): Promise<void> {
  const aws = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'rehearsal',
    AWS_SECRET_ACCESS_KEY: 'rehearsal',
    AWS_REGION: REGION,
  };
  const client = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'r', secretAccessKey: 'r' } };
  const lambda = new LambdaClient(client);
  // HTTP/1.1: the Kinesis client's default handler speaks HTTP/2, which moto's server does not.
  const kinesis = new KinesisClient({ ...client, requestHandler: requestHandler() });
  const sqs = new SQSClient(client);
  const s3 = new S3Client({ ...client, forcePathStyle: true });
  const cloudFormation = new CloudFormationClient(client);
  const pg = new URL(database.url);
  let apiKey = '';

  await step('prerequisites: database secret, then `npm run stage -- init`', async () => {
    await new SecretsManagerClient(client).send(
      new CreateSecretCommand({
        Name: `${SERVICE}/${STAGE}/database`,
        SecretString: JSON.stringify({
          host: pg.hostname,
          port: Number(pg.port),
          username: decodeURIComponent(pg.username),
          password: decodeURIComponent(pg.password),
          dbname: pg.pathname.slice(1),
        }),
      }),
    );
    const output = await runScript(['scripts/stage.ts', 'init', '--stage', STAGE, '--region', REGION], aws);
    apiKey = /\btp_[A-Za-z0-9_-]{20,}/.exec(output)?.[0] ?? '';
    check(apiKey, `stage init printed no API key:\n${output}`);
    return 'secret created; init stored the first key hash and printed the key once';
  });

  await step(`serverless deploy --stage ${STAGE}`, async () => {
    await service.serverless(['deploy', '--stage', STAGE, '--region', REGION]);
    const { rows } = await withDatabase(database, (db) =>
      db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name'),
    );
    check(rows.length > 0, 'the deploy finished but no migration was applied');
    // The migrate function keeps the partitions right after the migrations (7 days back to 7 ahead).
    const parts = await withDatabase(database, (db) =>
      db.query<{ n: number }>("SELECT count(*)::int AS n FROM telemetry_partitions('telemetry_events')"),
    );
    check((parts.rows[0]?.n ?? 0) >= 15, `the deploy left ${parts.rows[0]?.n} event partitions, not 15 or more`);
    return `stack created; migrations applied by the custom resource: ${rows.map((r) => r.name).join(', ')}; ${parts.rows[0]?.n} partitions`;
  });

  await step('serverless info', async () => {
    const info = await service.serverless(['info', '--stage', STAGE, '--region', REGION, '--verbose']);
    check(info.includes('DeadLetterQueueUrl'), `serverless info shows no DeadLetterQueueUrl output:\n${info}`);
    const found = await outputs(cloudFormation);
    check(found.TelemetryStreamName === `${STACK}-telemetry`, `unexpected outputs ${JSON.stringify(found)}`);
    return `${Object.keys(found).length} outputs`;
  });

  let eventId = '';
  await step('ingest → stream → consumer → Postgres → status (deployed zips)', async () => {
    const body = JSON.stringify({ source: 'rehearsal', timestamp: new Date().toISOString(), durationMs: 12 });
    const answer = await invoke(
      lambda,
      'ingest',
      apiEvent('POST', '/telemetry', { 'x-api-key': apiKey, 'content-type': 'application/json' }, body),
    );
    check(answer.statusCode === 202, `ingest answered ${JSON.stringify(answer)}`);
    eventId = (JSON.parse(String(answer.body)) as { eventIds: string[] }).eventIds[0] ?? '';
    const { shardId, records } = await streamRecords(kinesis, `${STACK}-telemetry`);
    check(records.length === 1, `the stream holds ${records.length} records, not 1`);
    const streamArn = (await outputs(cloudFormation)).TelemetryStreamArn ?? '';
    const consumed = await invoke(lambda, 'consumer', {
      Records: records.map((record) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: record.PartitionKey,
          sequenceNumber: record.SequenceNumber,
          data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${record.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::123456789012:role/${STACK}-${REGION}-lambdaRole`,
        awsRegion: REGION,
        eventSourceARN: streamArn,
      })),
    });
    check(JSON.stringify(consumed) === '{"batchItemFailures":[]}', `consumer answered ${JSON.stringify(consumed)}`);
    const status = await invoke(lambda, 'status', apiEvent('GET', `/telemetry/${eventId}`, { 'x-api-key': apiKey }));
    check(status.statusCode === 200, `status answered ${JSON.stringify(status)}`);
    // The query API signs its cursors with the stack's generated secret (CursorSecret, Secrets Manager).
    const query = await invoke(
      lambda,
      'status',
      apiEvent('GET', '/telemetry', { 'x-api-key': apiKey }, undefined, { source: 'rehearsal', limit: '10' }),
    );
    const page = JSON.parse(String(query.body ?? '{}')) as { events?: { eventId: string }[] };
    check(
      query.statusCode === 200 && page.events?.length === 1 && page.events[0]?.eventId === eventId,
      `the query answered ${JSON.stringify(query)}`,
    );
    // The scheduled maintenance, invoked as EventBridge would: nothing to create, nothing outside a partition.
    const maintained = await invoke(lambda, 'maintain', { source: 'aws.events', 'detail-type': 'Scheduled Event' });
    check(
      JSON.stringify(maintained.defaultRows) === '{"events":0,"rollups":0}',
      `maintain answered ${JSON.stringify(maintained)}`,
    );
    return `event ${eventId} stored over verified TLS; status 200; the query lists it; maintain: ${JSON.stringify(maintained.partitions)} partitions`;
  });

  /** Lambda's on-failure record for the stream's first record, as a batch that ran out of retries gets it. */
  const onFailureRecord = async () => {
    const found = await outputs(cloudFormation);
    const { shardId, records } = await streamRecords(kinesis, `${STACK}-telemetry`);
    const first = records[0];
    check(first?.SequenceNumber, 'no record on the stream to point a dead-letter message at');
    return {
      first,
      message: {
        requestContext: {
          requestId: randomBytes(8).toString('hex'),
          functionArn: `arn:aws:lambda:${REGION}:123456789012:function:${STACK}-consumer`,
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 4,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: new Date().toISOString(),
        KinesisBatchInfo: {
          shardId,
          startSequenceNumber: first.SequenceNumber,
          endSequenceNumber: first.SequenceNumber,
          approximateArrivalOfFirstRecord: new Date().toISOString(),
          approximateArrivalOfLastRecord: new Date().toISOString(),
          batchSize: 1,
          streamArn: found.TelemetryStreamArn,
        },
      },
    };
  };

  const queueDepth = async (queueUrl: string): Promise<number> => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages);
  };

  let bucket = '';
  await step(
    'failures bucket: the mappings send failed batches there, and each object is announced on the DLQ',
    async () => {
      const found = await outputs(cloudFormation);
      bucket = found.FailuresBucketName ?? '';
      check(bucket === `${STACK}-failures-123456789012-${REGION}`, `unexpected FailuresBucketName output ${bucket}`);
      const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({}));
      const ours = EventSourceMappings.filter((m) => m.FunctionArn?.includes(`${STACK}-`));
      check(ours.length === 2, `expected the consumer's and the relay's mappings, found ${ours.length}`);
      for (const mapping of ours)
        check(
          mapping.DestinationConfig?.OnFailure?.Destination === `arn:aws:s3:::${bucket}`,
          `${mapping.FunctionArn} sends failed batches to ${mapping.DestinationConfig?.OnFailure?.Destination}`,
        );
      const { QueueConfigurations = [] } = await s3.send(
        new GetBucketNotificationConfigurationCommand({ Bucket: bucket }),
      );
      check(
        QueueConfigurations.length === 1,
        `the bucket has ${QueueConfigurations.length} queue notifications, not 1`,
      );
      // What Lambda writes for a failed batch: the on-failure record plus the records as delivered.
      const { first, message } = await onFailureRecord();
      const payload = {
        Records: [
          {
            kinesis: {
              kinesisSchemaVersion: '1.0',
              partitionKey: first.PartitionKey,
              sequenceNumber: first.SequenceNumber,
              data: Buffer.from(first.Data ?? new Uint8Array()).toString('base64'),
              approximateArrivalTimestamp: Date.now() / 1000,
            },
            eventSource: 'aws:kinesis',
            eventSourceARN: message.KinesisBatchInfo.streamArn,
          },
        ],
      };
      const now = new Date().toISOString().slice(0, 19);
      const key = `aws/lambda/${randomUUID()}/${message.KinesisBatchInfo.shardId}/${now.slice(0, 10).replaceAll('-', '/')}/${now.replaceAll(':', '.')}-${randomUUID()}`;
      const before = await queueDepth(found.DeadLetterQueueUrl ?? '');
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify({ ...message, payload }) }));
      let depth = before;
      for (let i = 0; i < 50 && depth === before; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        depth = await queueDepth(found.DeadLetterQueueUrl ?? '');
      }
      check(depth === before + 1, `the DLQ holds ${depth} messages after the object was written, not ${before + 1}`);
      return `mappings -> s3://${bucket}; the object's notification reached the DLQ`;
    },
  );

  await step(`npm run replay -- --stage ${STAGE} --invoke (drains the DLQ)`, async () => {
    const found = await outputs(cloudFormation);
    const { message } = await onFailureRecord();
    const queueUrl = found.DeadLetterQueueUrl ?? '';
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    const report = await runScript(['scripts/replay.ts', '--stage', STAGE, '--region', REGION, '--invoke'], aws);
    check((await queueDepth(queueUrl)) === 0, `the DLQ still holds messages after the replay:\n${report}`);
    const after = await streamRecords(kinesis, `${STACK}-telemetry`);
    check(after.records.length === 3, `the stream holds ${after.records.length} records after the replay, not 3`);
    check(/from the failures bucket\D+1\b/.test(report), `the replay put back no record from the bucket:\n${report}`);
    return 'both messages drained: one record from the bucket, one re-read from the stream';
  });

  await step('empty the failures bucket (what an operator does before removing a stage)', async () => {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if (Contents.length > 0)
      await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: Contents.map((o) => ({ Key: o.Key })) } }),
      );
    return `${Contents.length} object(s) deleted`;
  });

  await step(`serverless remove --stage ${STAGE}`, async () => {
    await service.serverless(['remove', '--stage', STAGE, '--region', REGION]);
    const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({})).catch(() => ({ Stacks: [] }));
    check(
      !Stacks.some((s) => s.StackName === STACK && s.StackStatus !== 'DELETE_COMPLETE'),
      'the stack is still there',
    );
    return 'stack deleted (the schema and its data stay in the database)';
  });
}

async function withDatabase<T>(database: TlsPostgres, use: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: database.url, ssl: { ca: await readCa(database.caFile) } });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}

async function readCa(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(file, 'utf8');
}

async function main(): Promise<void> {
  const started = Date.now();
  let database: TlsPostgres | undefined;
  let moto: MotoServer | undefined;
  let service: OfflineService | undefined;
  try {
    process.stderr.write('• starting a TLS-only PostgreSQL and moto ...\n');
    database = await startTlsPostgres();
    // Read by rehearsal/moto_server.py when it runs a function (gap 6).
    process.env.REHEARSAL_CA_FILE = database.caFile;
    process.env.REHEARSAL_NODE_PATH = path.join(ROOT, 'node_modules');
    // moto's log (its requests, the functions' output) only when asked for: REHEARSAL_VERBOSE=1.
    const verbose = process.env.REHEARSAL_VERBOSE === '1';
    moto = await startMoto({
      args: [path.join(ROOT, 'rehearsal', 'moto_server.py')],
      log: (line) => {
        if (verbose) process.stderr.write(`  moto: ${line}\n`);
      },
    });
    service = await offlineService(ROOT, 'telemetry-rehearsal-', {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'rehearsal',
      AWS_SECRET_ACCESS_KEY: 'rehearsal',
    });
    await rehearse(database, moto, service);
  } finally {
    await service?.remove();
    await moto?.stop();
    await database?.stop();
  }
  const table = new Table({
    head: ['step', 'ms', 'what happened'],
    wordWrap: true,
    colWidths: [44, 8, 70],
    // No colour codes in a CI log.
    ...(process.stdout.isTTY ? {} : { style: { head: [], border: [] } }),
  });
  for (const result of results) table.push([result.step, result.ms, result.detail]);
  console.log(table.toString());
  console.log(`rehearsal passed in ${((Date.now() - started) / 1000).toFixed(1)} s (stage ${STAGE})`);
}

main().catch((error: unknown) => {
  console.error(`rehearsal FAILED: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.REHEARSAL_VERBOSE === '1') console.error(error);
  process.exit(1);
});
