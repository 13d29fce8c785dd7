/**
 * Ingest against thousands of generated requests (fast-check): arbitrary bodies, headers and
 * encodings (broken JSON, deep nesting, huge strings, wrong types, invalid UTF-8, truncated and
 * corrupt gzip, mismatched content types, junk keys). Against a real kinesalite stream, whatever
 * arrives: never a 5xx, never a throw or an unhandled rejection, always a JSON answer, every refusal
 * with a stable `code` (each code always with the same status), and what is accepted is on the
 * stream exactly as it was sent, nothing else. A failure prints the seed and the shrunk request.
 *
 * Unhandled rejections: jest 30 fails the running test on one (it takes the process's
 * 'unhandledRejection' event itself, so a listener here would never see it), so each property below
 * also fails on any rejection that ingest leaves behind while it runs.
 */
import { gzipSync } from 'node:zlib';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { handleIngest, type IngestDeps } from '../../lib/ingest/handleIngest';
import { createObservability } from '../../lib/lambda/observability';
import { DEFAULT_SOURCE, MAX_NESTING_DEPTH, TIMESTAMP_FIELDS } from '../../lib/telemetry/normalize';
import type { TelemetryEvent } from '../../lib/telemetry/event';
import { eventPartitionKey } from '../../lib/telemetry/partitionKey';
import { postTelemetry } from '../helpers/apiEvent';
import { TEST_TENANT } from '../helpers/ingestDeps';
import { testKeyStore } from '../helpers/keys';
import { createStream, testKinesis } from '../helpers/local';

const API_KEY = 'fuzz-key-0123456789';
const MAX_EVENTS = 100;

/** Every request-level refusal ingest can give, and the one status each always comes with. */
const CODE_STATUS: Readonly<Record<string, number>> = {
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_ENCODING: 415,
  INVALID_IDEMPOTENCY_KEY: 400,
  EMPTY_BODY: 400,
  INVALID_BODY: 400,
  NO_EVENTS: 400,
  NO_VALID_EVENTS: 400,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_EVENTS: 413,
  EVENT_TOO_LARGE: 413,
};
const ITEM_CODES = new Set(['INVALID_JSON', 'INVALID_EVENT', 'DUPLICATE_EVENT_ID', 'EVENT_TOO_LARGE']);
const NAMED_FIELDS = new Set(['eventId', 'source', 'timestamp', 'type', 'durationMs']);
/** What Postgres cannot store; ingest must refuse it (checked with the same meaning, not the same code). */
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface AcceptedBody {
  accepted: number;
  rejected: { index: number; code: string; error: string }[];
  eventIds: string[];
}

// --- the stream, read as a tail: after each request, exactly what that request put ---------------

class StreamTail {
  private iterator: string | undefined;
  constructor(
    private readonly kinesis: KinesisClient,
    private readonly stream: string,
  ) {}

  async start(): Promise<void> {
    const { Shards = [] } = await this.kinesis.send(new ListShardsCommand({ StreamName: this.stream }));
    expect(Shards).toHaveLength(1);
    const { ShardIterator } = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.stream,
        ShardId: Shards[0]?.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    this.iterator = ShardIterator;
  }

  /** The records put since the last call; `expected` of them are waited for (bounded), then one more read proves there are no others. */
  async next(expected: number): Promise<_Record[]> {
    const out: _Record[] = [];
    for (let calls = 0; calls < 50; calls += 1) {
      const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 10_000 }));
      this.iterator = page.NextShardIterator;
      out.push(...(page.Records ?? []));
      if (out.length >= expected && (page.Records ?? []).length === 0) break;
    }
    return out;
  }
}

// --- arbitraries ----------------------------------------------------------------------------------

const hostile = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\ufffe',
  '\uffff',
  '😀',
  "'; DROP TABLE telemetry_events; --",
  '\\',
  '"',
  '\n',
  '\r\n',
  '\u2028',
  '__proto__',
);
const anyString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: hostile },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'é', '😀', '\u0000'), fc.integer({ min: 200, max: 1_100_000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);
const keyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  hostile,
  fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'eventId', 'source', 'v'),
);

/** Nested arrays/objects to a chosen depth, around MAX_NESTING_DEPTH and far past it. */
const deep = fc.tuple(fc.integer({ min: 1, max: 400 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = arrays ? [value] : { d: value };
  return value;
});

const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: anyString },
);

const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }) },
  {
    weight: 3,
    arbitrary: fc
      .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2024-05-01T12:00:00+02:00',
      '2024-05-01T12:00:00.123456789Z',
      '2024-05-01',
      '2024-13-45T99:99:99Z',
      'now',
      '',
      1e300,
      -1e300,
      Number.NaN,
      0.5,
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.double(), anyString, fc.boolean(), fc.constant(null)) },
);

/** One client item: usually shaped like an event (so a fair share is accepted), every field sometimes wrong. */
const item: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.record(
          {
            source: fc.oneof(
              { weight: 8, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) },
              { weight: 1, arbitrary: fc.string({ minLength: 250, maxLength: 260 }) },
              { weight: 2, arbitrary: jsonish },
            ),
            timestamp,
            eventId: fc.oneof(
              { weight: 4, arbitrary: fc.uuid() },
              { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
              { weight: 1, arbitrary: jsonish },
            ),
            type: fc.oneof(
              { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
              { weight: 1, arbitrary: jsonish },
            ),
            durationMs: fc.oneof(
              { weight: 4, arbitrary: fc.double({ min: 0, max: 1e9, noNaN: true }) },
              { weight: 1, arbitrary: jsonish },
            ),
          },
          { requiredKeys: ['source', 'timestamp'] },
        ),
        fc.dictionary(keyString, jsonish, { maxKeys: 4 }),
      )
      .map(([named, extra]) => ({ ...extra, ...named })),
  },
  { weight: 1, arbitrary: jsonish },
);

const format = fc.constantFrom<'json-array' | 'json-object' | 'ndjson'>('json-array', 'json-object', 'ndjson');

function serialize(items: readonly unknown[], shape: 'json-array' | 'json-object' | 'ndjson'): string {
  if (shape === 'json-array') return JSON.stringify(items);
  if (shape === 'json-object') return JSON.stringify(items[0] ?? {});
  return items.map((value) => JSON.stringify(value) ?? 'undefined').join('\n');
}

const contentType = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/x-ndjson',
      'application/json; charset=utf-8',
      'application/x-ndjson; charset="UTF-8"',
      'APPLICATION/JSON',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=latin1',
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      '',
      ';;;',
      'application/json;charset',
      'application/jsonl',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);
const contentEncoding = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom('gzip', 'x-gzip', 'identity', 'GZIP') },
  { weight: 1, arbitrary: fc.constantFrom('br', 'deflate', 'gzip, gzip', 'gzip, br', '', 'compress') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }) },
);
const apiKey = fc.oneof(
  { weight: 6, arbitrary: fc.constant(API_KEY) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      '',
      ` ${API_KEY}`,
      API_KEY.toUpperCase(),
      `${API_KEY}\u0000`,
      'x'.repeat(10_000),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);
const idempotencyKey = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
);

/** The bytes on the wire: text, raw bytes (as base64), gzip (whole, truncated, corrupted), or nothing. */
type Wire =
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'base64-claimed'; text: string };

const wire: fc.Arbitrary<{ wire: Wire; gzipped: boolean }> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.array(item, { maxLength: 8 }), format)
      .map(([items, shape]) => ({ wire: { kind: 'text' as const, text: serialize(items, shape) }, gzipped: false })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.array(item, { maxLength: 8 }),
        format,
        fc.constantFrom('whole', 'truncated', 'corrupt', 'doubled'),
        fc.nat(),
      )
      .map(([items, shape, how, at]) => {
        const zipped = gzipSync(serialize(items, shape));
        let bytes = zipped;
        if (how === 'truncated') bytes = zipped.subarray(0, at % zipped.length);
        if (how === 'corrupt') {
          bytes = Buffer.from(zipped);
          const position = at % bytes.length;
          bytes[position] = (bytes[position] ?? 0) ^ 0xff;
        }
        if (how === 'doubled') bytes = Buffer.concat([zipped, zipped]);
        return { wire: { kind: 'bytes' as const, bytes }, gzipped: true };
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => ({ wire: { kind: 'bytes' as const, bytes: Buffer.from(bytes) }, gzipped: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'binary', maxLength: 300 })
      .map((text) => ({ wire: { kind: 'text' as const, text }, gzipped: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'binary-ascii', maxLength: 200 })
      .map((text) => ({ wire: { kind: 'base64-claimed' as const, text }, gzipped: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('', ' ', '\n\n', '[]', '{}', 'null', '[[[[', '"\\ud800"', '{"source":"a","timestamp":1}'.repeat(3))
      .map((text) => ({ wire: { kind: 'text' as const, text }, gzipped: false })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 200_000 }).map((depth) => ({
      wire: { kind: 'text' as const, text: `${'['.repeat(depth)}${']'.repeat(depth)}` },
      gzipped: false,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 5_000_000, max: 6_500_000 }).map((n) => ({
      wire: { kind: 'text' as const, text: `{"source":"big","timestamp":1,"x":"${'a'.repeat(n)}"}` },
      gzipped: false,
    })),
  },
);

function toEvent(request: { wire: Wire; headers: Record<string, string | undefined> }): APIGatewayProxyEventV2 {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const { wire: w } = request;
  if (w.kind === 'text') return postTelemetry({ headers, body: w.text });
  if (w.kind === 'bytes') return postTelemetry({ headers, body: w.bytes });
  // A body flagged base64 that may not be base64 at all: API Gateway never sends that, a test console might.
  return { ...postTelemetry({ headers, body: w.text }), isBase64Encoded: true };
}

// --- the checks every answer must pass ------------------------------------------------------------

let kinesis: KinesisClient;
let deps: IngestDeps;
let tail: StreamTail;
const seen = { requests: 0, byStatus: new Map<number, number>(), accepted: 0, rejectedItems: 0 };

async function ingest(event: APIGatewayProxyEventV2): Promise<Answer> {
  // A throw here fails the property: handleIngest must answer every request.
  const answer = await handleIngest(event, Date.now() + 20_000, deps);
  seen.requests += 1;
  seen.byStatus.set(answer.statusCode, (seen.byStatus.get(answer.statusCode) ?? 0) + 1);
  expect(answer.statusCode).toBeLessThan(500);
  expect(answer.headers['content-type']).toBe('application/json');
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(typeof body).toBe('object');
  if (answer.statusCode >= 400) {
    expect(typeof body.code).toBe('string');
    expect(typeof body.message).toBe('string');
    expect({ code: body.code, status: CODE_STATUS[body.code as string] }).toEqual({
      code: body.code,
      status: answer.statusCode,
    });
  } else {
    expect(answer.statusCode).toBe(202);
  }
  return { status: answer.statusCode, body };
}

/** The items ingest parsed, as it parsed them (JSON round trip), when the request's body is one we built from items. */
function expectedEvent(
  sent: Record<string, unknown>,
  eventId: string,
): Omit<TelemetryEvent, 'receivedAt' | 'timestamp'> & { timestampMs: number } {
  // The first timestamp field present; its number is in that field's unit (lib/telemetry/normalize.ts).
  const field = TIMESTAMP_FIELDS.find(({ name }) => sent[name] !== undefined && sent[name] !== null);
  const ts = field ? sent[field.name] : undefined;
  return {
    v: 2,
    tenant: TEST_TENANT,
    eventId: typeof sent.eventId === 'string' ? sent.eventId.toLowerCase() : eventId,
    source: typeof sent.source === 'string' ? sent.source : DEFAULT_SOURCE,
    type: typeof sent.type === 'string' ? sent.type : 'invocation',
    // + 0: a timestamp of -0.1 ms is stored as 0, and toBe tells 0 from -0
    timestampMs: (typeof ts === 'number' ? Math.trunc(ts * (field?.unitMs ?? 1)) : Date.parse(ts as string)) + 0,
    durationMs: typeof sent.durationMs === 'number' ? sent.durationMs : null,
    payload: Object.fromEntries(Object.entries(sent).filter(([key]) => !NAMED_FIELDS.has(key) && key !== field?.name)),
  };
}

/** Checks the stream holds exactly the accepted items, in order, each exactly as sent. */
async function checkStream(answer: Answer, sentItems: readonly unknown[] | undefined): Promise<void> {
  const accepted = answer.status === 202 ? (answer.body as unknown as AcceptedBody) : undefined;
  const records = await tail.next(accepted?.accepted ?? 0);
  expect(records).toHaveLength(accepted?.accepted ?? 0);
  if (!accepted) return;
  seen.accepted += accepted.accepted;
  seen.rejectedItems += accepted.rejected.length;
  expect(accepted.eventIds).toHaveLength(accepted.accepted);
  for (const rejection of accepted.rejected) expect(ITEM_CODES).toContain(rejection.code);
  if (!sentItems) return;
  const rejectedAt = new Set(accepted.rejected.map((r) => r.index));
  expect(rejectedAt.size + accepted.accepted).toBe(sentItems.length);
  const acceptedItems = sentItems.filter((_item, index) => !rejectedAt.has(index));
  records.forEach((record, k) => {
    const sent = acceptedItems[k] as Record<string, unknown>;
    const onStream = JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')) as TelemetryEvent;
    const { timestamp, receivedAt, ...rest } = onStream;
    const { timestampMs, ...expected } = expectedEvent(sent, accepted.eventIds[k] as string);
    expect(record.PartitionKey).toBe(eventPartitionKey(TEST_TENANT, expected.source));
    expect(rest.eventId).toBe(accepted.eventIds[k]);
    // The payload compared as JSON text: key order and every value exactly as sent.
    expect(JSON.stringify(rest)).toBe(JSON.stringify(expected));
    expect(Date.parse(timestamp)).toBe(timestampMs);
    expect(new Date(Date.parse(receivedAt)).toISOString()).toBe(receivedAt);
  });
}

/** The items a request was built from, when its body is the plain serialisation of them. */
function parsedItemsOf(text: string, contentTypeHeader: string | undefined): unknown[] | undefined {
  try {
    const type = (contentTypeHeader ?? 'application/json').toLowerCase();
    if (type.includes('ndjson') || type.includes('jsonl'))
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value : [value];
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  // Powertools flushes EMF by itself every 100 values of a metric: thousands of requests would print them.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  kinesis = testKinesis();
  const stream = await createStream(kinesis, 1);
  deps = {
    ...createObservability('ingest-fuzz', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
    kinesis,
    keys: testKeyStore([{ key: API_KEY, tenant: TEST_TENANT }]),
    config: {
      stream: { streamName: stream },
      keys: { path: '/test/api-keys/', refreshMs: 60_000, staleLimitMs: 900_000, retryMs: 5_000 },
      maxBodyBytes: 5 * 1024 * 1024,
      maxEventsPerRequest: MAX_EVENTS,
      putConcurrency: 8,
    },
  };
  tail = new StreamTail(kinesis, stream);
  await tail.start();
});

afterAll(() => {
  kinesis?.destroy();
  const statuses = [...seen.byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}:${n}`)
    .join(' ');
  console.log(
    `ingest fuzz: ${seen.requests} requests (${statuses}); ${seen.accepted} events accepted and compared on the stream, ${seen.rejectedItems} items rejected`,
  );
});

describe('ingest under generated input (fast-check, real kinesalite)', () => {
  it('answers any request (body, headers, encoding, key) with JSON below 500 and a stable code, and puts only what it accepts', async () => {
    await fc.assert(
      fc.asyncProperty(
        wire,
        contentType,
        contentEncoding,
        apiKey,
        idempotencyKey,
        fc.dictionary(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }), fc.string({ maxLength: 40 }), {
          maxKeys: 3,
        }),
        async (body, type, encoding, key, idem, extra) => {
          const headers = {
            ...extra,
            'content-type': type,
            'content-encoding': body.gzipped ? (encoding ?? 'gzip') : encoding,
            'x-api-key': key,
            'idempotency-key': idem,
          };
          const answer = await ingest(toEvent({ wire: body.wire, headers }));
          if (key !== API_KEY) expect(answer.body.code).toBe('UNAUTHORIZED');
          await checkStream(answer, undefined);
        },
      ),
      { numRuns: 1_300 },
    );
  }, 60_000);

  it('accepts exactly the valid items of generated bodies and puts each on the stream exactly as sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(item, { minLength: 1, maxLength: 12 }),
        fc.constantFrom<'json-array' | 'ndjson'>('json-array', 'ndjson'),
        fc.boolean(),
        idempotencyKey,
        async (items, shape, gzipped, idem) => {
          const text = serialize(items, shape);
          const headers: Record<string, string> = {
            'x-api-key': API_KEY,
            'content-type': shape === 'ndjson' ? 'application/x-ndjson' : 'application/json',
          };
          if (gzipped) headers['content-encoding'] = 'gzip';
          if (idem !== undefined) headers['idempotency-key'] = idem;
          const answer = await ingest(postTelemetry({ headers, body: gzipped ? gzipSync(text) : text }));
          expect([202, 400, 413]).toContain(answer.status);
          const sent = parsedItemsOf(text, headers['content-type']);
          await checkStream(answer, answer.status === 202 ? sent : undefined);
        },
      ),
      { numRuns: 800 },
    );
  }, 60_000);

  it('always accepts well-formed events, whatever their strings and payloads hold', async () => {
    const storable = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !UNSTORABLE.test(s));
    const payloadValue = fc
      .jsonValue({ maxDepth: MAX_NESTING_DEPTH - 60, stringUnit: 'grapheme' })
      .filter((v) => !UNSTORABLE.test(JSON.stringify(v)));
    const good = fc
      .tuple(
        fc.record(
          {
            source: storable.filter((s) => s.length > 0 && s.length <= 256),
            timestamp: fc.oneof(
              fc.integer({ min: 0, max: 4_102_444_800_000 }),
              fc
                .date({
                  min: new Date('1970-01-01T00:00:00Z'),
                  max: new Date('2099-12-31T00:00:00Z'),
                  noInvalidDate: true,
                })
                .map((d) => d.toISOString()),
            ),
            type: storable.filter((s) => s.length > 0 && s.length <= 128),
            durationMs: fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true }),
          },
          { requiredKeys: ['source', 'timestamp'] },
        ),
        fc.dictionary(storable, payloadValue, { maxKeys: 5 }),
      )
      .map(([named, extra]) => ({ ...extra, ...named }));
    await fc.assert(
      fc.asyncProperty(fc.array(good, { minLength: 1, maxLength: 20 }), async (items) => {
        const answer = await ingest(
          postTelemetry({
            headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
            body: JSON.stringify(items),
          }),
        );
        expect(answer.status).toBe(202);
        expect((answer.body as unknown as AcceptedBody).rejected).toEqual([]);
        await checkStream(answer, JSON.parse(JSON.stringify(items)) as unknown[]);
      }),
      { numRuns: 500 },
    );
  }, 60_000);

  it('refuses every request without the right key before it reads the body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.constant(undefined), fc.constant(`${API_KEY} `)),
        wire,
        async (key, body) => {
          fc.pre(key !== API_KEY);
          const event = toEvent({ wire: body.wire, headers: { 'x-api-key': key, 'content-type': 'application/json' } });
          let touched = false;
          const original = event.body;
          Object.defineProperty(event, 'body', {
            get: () => {
              touched = true;
              return original;
            },
          });
          const answer = await ingest(event);
          expect({ status: answer.status, code: answer.body.code, touched }).toEqual({
            status: 401,
            code: 'UNAUTHORIZED',
            touched: false,
          });
          await checkStream(answer, undefined);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
