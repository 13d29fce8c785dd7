/**
 * Fault injection, end to end, in one run through the local stack (real ingest, consumer, relay and
 * status handlers; kinesalite, fauxqs and a Postgres of this file's own that it stops and starts):
 *
 * - 10,000 events: 9,895 valid ones POSTed to ingest; 100 malformed (1%), half of them inside those
 *   requests (refused per item at the door) and half put straight onto the stream by a producer that
 *   bypasses ingest (poison for the consumer); 5 more put straight onto the stream that pass the
 *   event schema but that Postgres refuses (U+0000, an unpaired surrogate).
 * - 5% of PutRecords entries fail with ProvisionedThroughputExceededException (SDK middleware: the
 *   one fault kinesalite cannot produce) for the first 40% of the load and during the first replay.
 * - Postgres is stopped for several seconds while the rest of the load arrives, and started again.
 * - Then the operator's moves: replay the failed batches (kept in the failures bucket and announced
 *   on the DLQ, as serverless.yml's default failureDestination s3 has it), check, replay everything again.
 *
 * Afterwards every valid event is in `telemetry_events` exactly once, every poison record is in the
 * DLQ once with its payload and reason, accepted = written + dead-lettered, and the second replay
 * changes nothing.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { createSqsClient } from '../../lib/aws/sqsClient';
import type { AwsConfig } from '../../lib/config';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../lib/aws/s3Client';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import { readFailedBatch } from '../../lib/replay/readFailedBatch';
import { putRecords } from '../../lib/kinesis/putRecords';
import { startLocalStack, type LocalStack } from '../../local/src/stack';
import { replayDeps } from '../../lib/replay/deps';
import { replayQueue, type ReplayReport } from '../../lib/replay/replayQueue';
import { injectPartialFailures } from '../helpers/kinesisFaults';
import { seededRandom } from '../../local/src/load/random';
import { startServicesChild, type ServicesChild } from '../../local/src/servicesChild';
import { startStoppablePostgres, type StoppablePostgres } from '../helpers/stoppablePostgres';

const TOTAL_EVENTS = 10_000;
const VALID = 9_895;
const MALFORMED_VIA_INGEST = 50;
const MALFORMED_DIRECT = 50;
const DB_REJECTED = 5;
const ITEMS_PER_REQUEST = 250;
const CONCURRENT_CLIENTS = 4;
const THROTTLE_RATE = 0.05;
const OUTAGE_MS = 4_000;
const ON_FAILURE_CONDITIONS = ['RetryAttemptsExhausted', 'RecordAgeExceeded'];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ValidItem {
  eventId: string;
  source: string;
  timestamp: number;
  durationMs: number;
  i: number;
  note: string;
}

/** A record that can never be stored, as the producer put it, with the reason the consumer must give. */
interface Poison {
  data: Buffer;
  partitionKey: string;
  reason: 'invalid-json' | 'invalid-event' | 'db-rejected';
}

function validItems(): ValidItem[] {
  return Array.from({ length: VALID }, (_, i) => ({
    eventId: randomUUID(),
    source: `svc-${i % 16}`,
    timestamp: 1_700_000_000_000 + i,
    durationMs: i % 997,
    i,
    note: `event ${i} "quoted" \\ back`,
  }));
}

/** What clients get wrong; ingest refuses each of these by item (they never reach the stream). */
function malformedItem(k: number): unknown {
  let deep: unknown = { leaf: true };
  for (let level = 0; level < 70; level += 1) deep = { deep };
  const kinds: unknown[] = [
    { source: '', timestamp: 1_700_000_000_000, k },
    { source: 'bad-client', timestamp: 'yesterday', k },
    { source: 'bad-client', timestamp: 1_700_000_000_000, durationMs: -1, k },
    { source: 'bad-client', timestamp: 1_700_000_000_000, eventId: `not-a-uuid-${k}` },
    { source: 'bad-client', timestamp: 1_700_000_000_000, note: `nul\u0000${k}` },
    k,
    { source: 'bad-client', timestamp: 1_700_000_000_000, nested: deep, k },
    { source: 'x'.repeat(257), timestamp: 1_700_000_000_000, k },
  ];
  return kinds[k % kinds.length];
}

/** Records a producer that bypasses ingest puts on the stream: poison for the consumer. */
function directPoison(): Poison[] {
  const out: Poison[] = [];
  const event = (k: number, payload: Record<string, unknown>): Record<string, unknown> => ({
    v: 2,
    tenant: 'test',
    eventId: randomUUID(),
    source: 'rogue',
    type: 'invocation',
    timestamp: new Date(1_700_000_000_000 + k).toISOString(),
    durationMs: 1,
    payload,
    receivedAt: new Date().toISOString(),
  });
  for (let k = 0; k < MALFORMED_DIRECT / 2; k += 1) {
    const variants = [
      Buffer.from(`{"v":1,"eventId":"${randomUUID()}","source":"rogue","timestamp":`),
      Buffer.from(`not json at all ${k}`),
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(`binary ${k}`)]),
      Buffer.from(`{"k":${k},}`),
    ];
    out.push({ data: variants[k % variants.length] as Buffer, partitionKey: `rogue-${k % 3}`, reason: 'invalid-json' });
  }
  for (let k = 0; k < MALFORMED_DIRECT / 2; k += 1) {
    const variants: unknown[] = [
      { ...event(k, { k }), v: 3 },
      { ...event(k, { k }), eventId: `nope-${k}` },
      { ...event(k, { k }), source: '' },
      [k, 'an array'],
      { ...event(k, { k }), payload: `string payload ${k}` },
    ];
    out.push({
      data: Buffer.from(JSON.stringify(variants[k % variants.length])),
      partitionKey: `rogue-${k % 3}`,
      reason: 'invalid-event',
    });
  }
  for (let k = 0; k < DB_REJECTED; k += 1) {
    // Valid JSON and a valid event; jsonb refuses U+0000 (22P05) and an unpaired surrogate escape (22P02).
    const bad = k === 0 ? `lone \ud800 surrogate` : `nul \u0000 ${k}`;
    out.push({ data: Buffer.from(JSON.stringify(event(k, { bad }))), partitionKey: 'rogue-db', reason: 'db-rejected' });
  }
  return out;
}

interface LoadResult {
  accepted: Set<string>;
  rejectedIndexes: number;
  requests: number;
  status503: number;
  resentItems: number;
}

interface Request {
  items: unknown[];
  /** Item positions that are malformed (ingest must reject exactly these). */
  malformed: Set<number>;
  format: 'json' | 'ndjson';
  gzip: boolean;
}

function buildRequests(valid: readonly ValidItem[]): Request[] {
  const requests: Request[] = [];
  let v = 0;
  let m = 0;
  const total = VALID + MALFORMED_VIA_INGEST;
  const perRequestMalformed = Math.ceil(MALFORMED_VIA_INGEST / Math.ceil(total / ITEMS_PER_REQUEST));
  for (let r = 0; v < valid.length || m < MALFORMED_VIA_INGEST; r += 1) {
    const items: unknown[] = [];
    const malformed = new Set<number>();
    const bad = Math.min(perRequestMalformed, MALFORMED_VIA_INGEST - m);
    const good = Math.min(ITEMS_PER_REQUEST - bad, valid.length - v);
    for (let n = 0; n < good; n += 1) items.push(valid[v++]);
    for (let n = 0; n < bad; n += 1) {
      // spread through the request rather than all at the end
      const at = Math.floor(((n + 1) * items.length) / (bad + 1)) + n;
      items.splice(at, 0, malformedItem(m++));
    }
    items.forEach((item, position) => {
      if (
        !(typeof item === 'object' && item !== null && 'eventId' in item && typeof (item as ValidItem).i === 'number')
      )
        malformed.add(position);
    });
    requests.push({ items, malformed, format: r % 4 === 3 ? 'ndjson' : 'json', gzip: r % 3 === 2 });
  }
  return requests;
}

function encode(request: Pick<Request, 'items' | 'format' | 'gzip'>): {
  body: Buffer | string;
  headers: Record<string, string>;
} {
  const text =
    request.format === 'json'
      ? JSON.stringify(request.items)
      : request.items.map((item) => JSON.stringify(item)).join('\n');
  const headers: Record<string, string> = {
    'content-type': request.format === 'json' ? 'application/json' : 'application/x-ndjson',
  };
  if (!request.gzip) return { body: text, headers };
  return { body: gzipSync(text), headers: { ...headers, 'content-encoding': 'gzip' } };
}

interface Answer {
  code?: string;
  eventIds?: string[];
  rejected?: { index: number; code: string }[];
  accepted?: number | { index: number; eventId: string }[];
  notAccepted?: { index: number; eventId: string }[];
}

/**
 * POSTs one request the way a well-behaved client does: on 503 it waits Retry-After and resends only
 * the items the answer lists as not accepted, with the same eventIds, so each is counted once.
 */
async function send(stack: LocalStack, request: Request, result: LoadResult): Promise<void> {
  let pending: Pick<Request, 'items' | 'format' | 'gzip'> = request;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const { body, headers } = encode(pending);
    const response = await fetch(`${stack.apiUrl}/telemetry`, {
      method: 'POST',
      headers: { ...headers, 'x-api-key': stack.apiKey },
      body,
    });
    result.requests += 1;
    const answer = (await response.json()) as Answer;
    if (response.status === 202) {
      for (const id of answer.eventIds ?? []) result.accepted.add(id);
      if (attempt === 0) {
        expect(new Set((answer.rejected ?? []).map((r) => r.index))).toEqual(request.malformed);
        result.rejectedIndexes += answer.rejected?.length ?? 0;
      }
      return;
    }
    expect({ status: response.status, code: answer.code }).toEqual({ status: 503, code: 'STREAM_UNAVAILABLE' });
    result.status503 += 1;
    if (attempt === 0) result.rejectedIndexes += answer.rejected?.length ?? 0;
    for (const item of Array.isArray(answer.accepted) ? answer.accepted : []) result.accepted.add(item.eventId);
    const again = (answer.notAccepted ?? []).map((item) => pending.items[item.index]);
    result.resentItems += again.length;
    pending = { ...pending, items: again };
    await sleep(Math.min(2_000, Number(response.headers.get('retry-after') ?? '1') * 1000));
  }
  throw new Error('a request was still not accepted after 10 attempts');
}

/** Every message on the queue, made visible again afterwards (so a replay still finds them). */
async function peekQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let calls = 0; calls < 2_000; calls += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) break;
    out.push(...Messages);
  }
  for (let i = 0; i < out.length; i += 10) {
    const batch = out.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
  return out;
}

interface DlqContents {
  /** Failed batches: S3's notifications of the objects in the failures bucket (or Lambda's own records). */
  onFailure: number;
  /** Records the failed batches hold. */
  onFailureRecords: number;
  recordMessages: number;
  /** `reason|base64 data` of every dead-lettered record, sorted. */
  poison: string[];
}

async function dlqContents(sqs: SQSClient, s3: S3Client, queueUrl: string): Promise<DlqContents> {
  const contents: DlqContents = { onFailure: 0, onFailureRecords: 0, recordMessages: 0, poison: [] };
  for (const message of await peekQueue(sqs, queueUrl)) {
    const parsed = parseDlqMessage(message.Body ?? '');
    if (parsed.kind === 'lambda-failure') {
      contents.onFailure += 1;
      contents.onFailureRecords += parsed.message.KinesisBatchInfo.batchSize;
      continue;
    }
    if (parsed.kind === 's3-objects') {
      contents.onFailure += 1;
      for (const ref of parsed.message.objects) {
        const { records, failure } = await readFailedBatch(s3, ref);
        expect(records).toHaveLength(failure.KinesisBatchInfo.batchSize);
        contents.onFailureRecords += records?.length ?? 0;
      }
      continue;
    }
    if (parsed.kind !== 'records') throw new Error(`no S3 test event is sent locally, got ${parsed.kind}`);
    contents.recordMessages += 1;
    for (const record of parsed.message.records)
      contents.poison.push(`${parsed.message.reason}|${record.data ?? 'omitted'}`);
  }
  contents.poison.sort();
  return contents;
}

describe('faults in one run: poison records, a Postgres outage, PutRecords throttling, then replays', () => {
  const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
  // Seeded (FAULTS_SEED, printed at the end); concurrent calls draw in varying order, so a seed fixes the draws, not which entry gets each.
  const random = seededRandom(seed);
  const throttle = { active: false, failedEntries: 0, entries: 0 };
  const throttled = (client: KinesisClient): void => {
    injectPartialFailures(client, {
      fails: () => {
        if (!throttle.active) return false;
        throttle.entries += 1;
        const fails = random() < THROTTLE_RATE;
        if (fails) throttle.failedEntries += 1;
        return fails;
      },
    });
  };
  let aws: AwsConfig;
  /** Every Kinesis client the functions (and replay 1) use: a real one with the throttling middleware. */
  const faultyClients: KinesisClient[] = [];
  const faultyKinesis = (region: string): KinesisClient => {
    const client = createKinesisClient(aws, region);
    throttled(client);
    faultyClients.push(client);
    return client;
  };
  let pg: StoppablePostgres;
  let services: ServicesChild;
  let stack: LocalStack;
  let db: Client;
  let producer: KinesisClient;
  let sqs: SQSClient;
  let s3: S3Client;
  const savedLogLevel = process.env.LOCAL_LOG_LEVEL;

  beforeAll(async () => {
    [pg, services] = await Promise.all([startStoppablePostgres(), startServicesChild()]);
    aws = {
      region: 'us-east-1',
      kinesisEndpoint: services.kinesisEndpoint,
      sqsEndpoint: services.sqsEndpoint,
      s3Endpoint: services.sqsEndpoint,
      streamAddressing: 'name',
    };
    // A plain client: the rogue producer is not the one being throttled.
    producer = createKinesisClient(aws);
    sqs = createSqsClient(aws);
    s3 = createS3Client(aws);
    // Every function logs each failed batch during the outage: thousands of lines that say nothing new here.
    process.env.LOCAL_LOG_LEVEL = 'SILENT';
    // The functions take their Kinesis clients from the stack's seam: the throttled ones.
    stack = await startLocalStack({
      port: 0,
      root: path.resolve(__dirname, '..', '..'),
      services: { ...services, databaseUrl: pg.url },
      clients: { kinesis: faultyKinesis },
      esmTiming: {
        pollIntervalMs: 200,
        shardDiscoveryIntervalMs: 500,
        retryBaseDelayMs: 20,
        retryMaxDelayMs: 80,
        onFailureRetryDelayMs: 200,
      },
    });
    // Connected once Postgres is back; an 'error' listener all the same, so a drop cannot crash the worker.
    db = new Client({ connectionString: pg.url });
    db.on('error', () => undefined);
  }, 120_000);

  afterAll(async () => {
    if (savedLogLevel === undefined) delete process.env.LOCAL_LOG_LEVEL;
    else process.env.LOCAL_LOG_LEVEL = savedLogLevel;
    await db?.end().catch(() => undefined);
    await stack?.stop();
    for (const client of faultyClients) client.destroy();
    producer?.destroy();
    sqs?.destroy();
    s3?.destroy();
    await services?.stop();
    await pg?.close();
  }, 60_000);

  it('stores every valid event once, dead-letters every poison record with its payload and reason, and replays idempotently', async () => {
    const valid = validItems();
    const poison = directPoison();
    expect(VALID + MALFORMED_VIA_INGEST + MALFORMED_DIRECT + DB_REJECTED).toBe(TOTAL_EVENTS);
    const requests = buildRequests(valid);
    const load: LoadResult = { accepted: new Set(), rejectedIndexes: 0, requests: 0, status503: 0, resentItems: 0 };
    const poisonAt = new Map<number, Poison[]>();
    // The rogue producer's records go in five bursts spread over the load (some land during the outage).
    for (let burst = 0; burst < 5; burst += 1) {
      poisonAt.set(
        Math.floor(((burst + 0.5) * requests.length) / 5),
        poison.filter((_p, n) => n % 5 === burst),
      );
    }

    // --- load. Throttling for the first 40% of the requests; then, once those are answered and consumed,
    // Postgres goes down and the rest are sent into the outage. Apart, so that every record the outage
    // hits is on the stream once (a throttled put re-puts records behind a failed one of the same key)
    // and each one it fails is certainly missing from Postgres until the replay.
    const outageAt = Math.floor(requests.length * 0.4);
    let next = 0;
    let done = 0;
    let beforeOutageDone: () => void = () => undefined;
    const beforeOutage = new Promise<void>((resolve) => (beforeOutageDone = resolve));
    let outageStarted: Promise<void> | undefined;
    let outage: Promise<void> | undefined;
    let statusDuringOutage: { status: number; code?: string } | undefined;
    const startOutage = (): Promise<void> => {
      outageStarted ??= (async () => {
        await beforeOutage;
        throttle.active = false;
        // Caught up first: what the outage hits is only what is sent into it.
        await stack.drained(60_000);
        await pg.stop();
        const probe = await fetch(`${stack.apiUrl}/telemetry/${valid[0]?.eventId}`, {
          headers: { 'x-api-key': stack.apiKey },
        });
        statusDuringOutage = { status: probe.status, ...((await probe.json()) as { code?: string }) };
      })();
      outage ??= outageStarted.then(async () => {
        await sleep(OUTAGE_MS);
        await pg.start();
      });
      return outageStarted;
    };
    throttle.active = true;
    const client = async (): Promise<void> => {
      for (let guard = 0; guard < requests.length && next < requests.length; guard += 1) {
        const index = next++;
        if (index >= outageAt) await startOutage();
        const burst = poisonAt.get(index);
        if (burst) {
          const put = await putRecords(
            producer,
            burst.map(({ data, partitionKey }) => ({ data, partitionKey })),
            { stream: { streamName: stack.streamName }, deadline: Date.now() + 10_000 },
          );
          expect(put.failed).toEqual([]);
        }
        await send(stack, requests[index] as Request, load);
        done += 1;
        if (done === outageAt) beforeOutageDone();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, () => client()));
    await outage;
    throttle.active = false;

    expect(load.accepted.size).toBe(VALID);
    expect(new Set(valid.map((item) => item.eventId))).toEqual(load.accepted);
    // The functions' Kinesis clients came through the stack's seam: the throttling really ran.
    expect(faultyClients.length).toBeGreaterThan(0);
    expect(throttle.failedEntries).toBeGreaterThan(0);
    expect(load.rejectedIndexes).toBe(MALFORMED_VIA_INGEST);
    // While Postgres was down, status said so in JSON (and, below, finds the event once it is back).
    expect(statusDuringOutage).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });

    await stack.drained(90_000);
    const consumerStats = stack.mappings.consumer?.stats;
    // The outage really hit the consumer: failed invocations, and ranges handed to the on-failure destination.
    expect(consumerStats?.functionErrors).toBeGreaterThan(0);
    expect(consumerStats?.onFailureMessages).toBeGreaterThan(0);
    const beforeReplay = await dlqContents(sqs, s3, stack.dlqUrl);
    expect(beforeReplay.onFailure).toBe(consumerStats?.onFailureMessages);

    // --- replay 1: what the outage left (the failed batches in the bucket), under throttling again. Poison
    // record messages are left alone: replaying them now would only dead-letter them again.
    await db.connect();
    const writtenBeforeReplay = await count(db);
    expect(VALID - writtenBeforeReplay).toBeGreaterThanOrEqual(beforeReplay.onFailure - DB_REJECTED);
    throttle.active = true;
    const clientsBeforeReplay = faultyClients.length;
    const deps = replayDeps(
      {
        region: stack.region,
        kinesisEndpoint: stack.kinesisEndpoint,
        sqsEndpoint: stack.sqsEndpoint,
        s3Endpoint: stack.s3Endpoint,
        streamAddressing: 'name',
      },
      { kinesis: faultyKinesis },
    );
    const first = await replayQueue(deps, {
      queueUrl: stack.dlqUrl,
      deadline: Date.now() + 60_000,
      filter: { reasons: ON_FAILURE_CONDITIONS },
    });
    throttle.active = false;
    // The replay's own Kinesis client was a throttled one too.
    expect(faultyClients.length).toBe(clientsBeforeReplay + 1);
    expect(first).toMatchObject<Partial<ReplayReport>>({
      replayed: beforeReplay.onFailure,
      // Every record from the bucket: none re-read from the stream.
      recordsFrom: { inline: 0, s3: beforeReplay.onFailureRecords, reRead: 0 },
      failed: 0,
      expired: 0,
      unreadable: 0,
      stoppedBecause: 'drained',
    });
    await stack.drained(90_000);

    // --- exactly: every valid event once, nothing else
    const rows = await db.query<{ event_id: string; source: string; i: number; note: string }>(
      "SELECT event_id::text, source, (payload->>'i')::int AS i, payload->>'note' AS note FROM telemetry_events",
    );
    expect(rows.rows).toHaveLength(VALID);
    const byId = new Map(rows.rows.map((row) => [row.event_id, row]));
    for (const item of valid)
      expect(byId.get(item.eventId)).toEqual({
        event_id: item.eventId,
        source: item.source,
        i: item.i,
        note: item.note,
      });

    // --- every poison record in the DLQ, once, with its payload and reason; no on-failure range left
    const expectedPoison = poison.map((p) => `${p.reason}|${p.data.toString('base64')}`).sort();
    const afterReplay = await dlqContents(sqs, s3, stack.dlqUrl);
    expect(afterReplay.onFailure).toBe(0);
    expect(afterReplay.poison).toEqual(expectedPoison);

    // --- counts reconcile: what got onto the stream = written + dead-lettered; the rest was refused to its sender
    // (Counted here rather than with stack.status(), whose own connection does not survive the outage.)
    const onStream = load.accepted.size + poison.length;
    const written = await count(db);
    expect(written).toBe(VALID);
    expect(onStream).toBe(written + afterReplay.poison.length);
    expect(onStream + load.rejectedIndexes).toBe(TOTAL_EVENTS);
    expect(await queueDepth(sqs, stack.dlqUrl)).toBe(afterReplay.recordMessages);

    // and status finds a stored event now that Postgres is back
    const found = await fetch(`${stack.apiUrl}/telemetry/${valid[0]?.eventId}`, {
      headers: { 'x-api-key': stack.apiKey },
    });
    expect(found.status).toBe(200);

    // --- replay 2: the same replay run again finds nothing left to do and changes nothing
    const lastIngested = await db.query<{ n: number; at: string }>(
      'SELECT count(*)::int AS n, max(ingested_at)::text AS at FROM telemetry_events',
    );
    const again = await replayQueue(deps, {
      queueUrl: stack.dlqUrl,
      deadline: Date.now() + 60_000,
      filter: { reasons: ON_FAILURE_CONDITIONS },
    });
    expect(again).toMatchObject<Partial<ReplayReport>>({
      replayed: 0,
      recordsReplayed: 0,
      skipped: afterReplay.recordMessages,
      failed: 0,
      unreadable: 0,
    });

    // --- replay 3, everything that arrived before now: the poison goes round the pipeline once more
    // and comes back to the DLQ unchanged; no row is added or changed. (`until` keeps the run from
    // picking up the messages its own re-put records produce: see the last test.)
    const third = await replayQueue(deps, {
      queueUrl: stack.dlqUrl,
      deadline: Date.now() + 60_000,
      filter: { until: Date.now() },
    });
    expect(third).toMatchObject<Partial<ReplayReport>>({
      replayed: afterReplay.recordMessages,
      recordsReplayed: poison.length,
      failed: 0,
      unreadable: 0,
      stoppedBecause: 'drained',
    });
    await stack.drained(90_000);
    expect(
      (await db.query('SELECT count(*)::int AS n, max(ingested_at)::text AS at FROM telemetry_events')).rows,
    ).toEqual(lastIngested.rows);
    const afterThird = await dlqContents(sqs, s3, stack.dlqUrl);
    expect(afterThird.onFailure).toBe(0);
    expect(afterThird.poison).toEqual(expectedPoison);

    // The closing note's numbers (CI log).
    console.log(
      [
        `fault run (seed ${seed}):`,
        `  events ${TOTAL_EVENTS}: valid ${VALID}, malformed ${MALFORMED_VIA_INGEST} via ingest (refused per item) + ${MALFORMED_DIRECT} direct, Postgres-rejected ${DB_REJECTED} direct`,
        `  throttling: ${throttle.failedEntries} of ${throttle.entries} PutRecords entries failed; ${load.status503} answers 503, ${load.resentItems} items resent, ${load.requests} requests`,
        `  outage: Postgres down ${OUTAGE_MS} ms; consumer function errors ${consumerStats?.functionErrors}, on-failure messages ${beforeReplay.onFailure}, rows before replay ${writtenBeforeReplay}`,
        `  replay 1: ${first.replayed} failed batches, ${first.recordsReplayed} records (${first.recordsFrom.s3} from S3); replay 2: ${again.replayed} batches (skipped ${again.skipped}); replay 3 (all): ${third.replayed} messages, ${third.recordsReplayed} records, all back in the DLQ`,
        `  reconciled: accepted ${onStream} = written ${written} + dead-lettered ${afterReplay.poison.length}; refused at ingest ${load.rejectedIndexes}`,
      ].join('\n'),
    );
  }, 240_000);

  // Regression: the stack's own status connection was once a bare pg Client that was never re-made,
  // so after a Postgres restart status() failed for good, and `npm start`'s status line with it.
  it("the stack's own status() answers again after Postgres restarted", async () => {
    expect(await stack.status()).toMatchObject({ written: VALID });
  });

  // Regression: replayQueue once drained whatever was on the queue while it ran, including the
  // messages its own re-put poison records produced a moment later when the consumer dead-lettered
  // them again, so an unfiltered replay with poison in the DLQ circled until its deadline. It stops
  // at the messages sent before it started.
  it('an unfiltered replay ends once it has handled what was on the queue when it started', async () => {
    const before = await dlqContents(sqs, s3, stack.dlqUrl);
    const report = await replayQueue(
      replayDeps({
        region: stack.region,
        kinesisEndpoint: stack.kinesisEndpoint,
        sqsEndpoint: stack.sqsEndpoint,
        s3Endpoint: stack.s3Endpoint,
        streamAddressing: 'name',
      }),
      {
        queueUrl: stack.dlqUrl,
        deadline: Date.now() + 6_000,
      },
    );
    await stack.drained(90_000);
    expect({ stoppedBecause: report.stoppedBecause, recordsReplayed: report.recordsReplayed }).toEqual({
      stoppedBecause: 'drained',
      recordsReplayed: before.poison.length + before.onFailureRecords,
    });
  }, 60_000);
});

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? -1);
}

async function count(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_events');
  return rows[0]?.n ?? -1;
}
