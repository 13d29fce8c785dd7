import { gzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AcceptedBody } from '../../lib/ingest/answers';
import type { IngestConfig } from '../../lib/ingest/config';
import { handleIngest, type IngestDeps } from '../../lib/ingest/handleIngest';
import { MAX_RECORD_BYTES } from '../../lib/kinesis/limits';
import type { TelemetryEvent } from '../../lib/telemetry/event';
import { ingestDeps } from '../helpers/ingestDeps';
import { postTelemetry } from '../helpers/apiEvent';
import { injectCallErrors, injectPartialFailures } from '../helpers/kinesisFaults';
import { createStream, readAllRecords, testKinesis } from '../helpers/local';

const API_KEY = 'errors-test-key';
const JSON_HEADERS = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
const VALID = { source: 'svc', timestamp: 1_700_000_000_000 };

interface ErrorBody {
  code: string;
  message: string;
  rejected?: { index: number; code: string; error: string }[];
  accepted?: { index: number; eventId: string }[];
  notAccepted?: { index: number; eventId: string; code: string; error: string }[];
}

function deps(kinesis: KinesisClient, streamName: string, config: Partial<IngestConfig> = {}): IngestDeps {
  // short backoff and a bounded number of retry rounds: outcomes do not depend on timing
  return ingestDeps(kinesis, streamName, {
    apiKeys: [API_KEY],
    config,
    putOptions: { retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 } },
  });
}

const soon = (): number => Date.now() + 20_000;

function parse<T>(answer: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(answer.body ?? '') as T;
}

async function streamEvents(kinesis: KinesisClient, stream: string): Promise<TelemetryEvent[]> {
  return (await readAllRecords(kinesis, stream)).map(
    (record) => JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')) as TelemetryEvent,
  );
}

describe('POST /telemetry refusals: status, stable code, nothing put', () => {
  let kinesis: KinesisClient;
  let stream: string;
  beforeEach(async () => {
    kinesis = testKinesis();
    stream = await createStream(kinesis);
  });

  async function expectRefused(
    event: APIGatewayProxyEventV2,
    status: number,
    code: string,
    config: Partial<IngestConfig> = {},
  ): Promise<ErrorBody> {
    const answer = await handleIngest(event, soon(), deps(kinesis, stream, config));
    expect({ status: answer.statusCode, code: parse<ErrorBody>(answer).code }).toEqual({ status, code });
    expect(answer.headers?.['content-type']).toBe('application/json');
    expect(answer.headers?.location).toBeUndefined();
    expect(await readAllRecords(kinesis, stream)).toHaveLength(0);
    return parse<ErrorBody>(answer);
  }

  describe('401 before any parsing', () => {
    it('refuses a missing key', async () => {
      await expectRefused(
        postTelemetry({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(VALID) }),
        401,
        'UNAUTHORIZED',
      );
    });
    it('refuses a wrong key, even for a body that would be refused for other reasons', async () => {
      const body = await expectRefused(
        postTelemetry({
          headers: { 'x-api-key': `${API_KEY}x`, 'content-type': 'text/csv', 'content-encoding': 'br' },
          body: 'not json',
        }),
        401,
        'UNAUTHORIZED',
      );
      expect(body.message).not.toContain(API_KEY);
    });
    it('refuses an empty key and a key given in another header', async () => {
      await expectRefused(
        postTelemetry({ headers: { ...JSON_HEADERS, 'x-api-key': '' }, body: JSON.stringify(VALID) }),
        401,
        'UNAUTHORIZED',
      );
      await expectRefused(
        postTelemetry({
          headers: { 'content-type': 'application/json', authorization: API_KEY },
          body: JSON.stringify(VALID),
        }),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  describe('415', () => {
    it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded'])(
      'refuses content type %s',
      async (type) => {
        const body = await expectRefused(
          postTelemetry({ headers: { ...JSON_HEADERS, 'content-type': type }, body: JSON.stringify(VALID) }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
        expect(body).toMatchObject({ accepted: expect.arrayContaining(['application/json', 'application/x-ndjson']) });
      },
    );
    it('refuses a charset other than UTF-8', async () => {
      await expectRefused(
        postTelemetry({
          headers: { ...JSON_HEADERS, 'content-type': 'application/json; charset=iso-8859-1' },
          body: JSON.stringify(VALID),
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    });
    it.each(['br', 'deflate', 'gzip, gzip', 'compress'])('refuses content encoding %s', async (encoding) => {
      await expectRefused(
        postTelemetry({
          headers: { ...JSON_HEADERS, 'content-encoding': encoding },
          body: gzipSync(JSON.stringify(VALID)),
        }),
        415,
        'UNSUPPORTED_ENCODING',
      );
    });
  });

  describe('400', () => {
    it('refuses a missing or blank body', async () => {
      await expectRefused(postTelemetry({ headers: JSON_HEADERS }), 400, 'EMPTY_BODY');
      await expectRefused(postTelemetry({ headers: JSON_HEADERS, body: ' \n\t ' }), 400, 'EMPTY_BODY');
      await expectRefused(
        postTelemetry({ headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body: gzipSync('') }),
        400,
        'EMPTY_BODY',
      );
    });
    it.each([
      ['unparseable JSON', '{"source": "a",'],
      ['a JSON scalar', '42'],
      ['JSON null', 'null'],
    ])('refuses %s as INVALID_BODY', async (_name, body) => {
      await expectRefused(postTelemetry({ headers: JSON_HEADERS, body }), 400, 'INVALID_BODY');
    });
    it('refuses a body that is not UTF-8', async () => {
      const bytes = Buffer.concat([
        Buffer.from('{"source":"a","timestamp":1,"x":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]);
      await expectRefused(postTelemetry({ headers: JSON_HEADERS, body: bytes }), 400, 'INVALID_BODY');
    });
    it('refuses corrupt and truncated gzip', async () => {
      const gz = gzipSync(JSON.stringify([VALID, VALID]));
      await expectRefused(
        postTelemetry({
          headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' },
          body: gz.subarray(0, gz.length - 6),
        }),
        400,
        'INVALID_BODY',
      );
      await expectRefused(
        postTelemetry({
          headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' },
          body: Buffer.from(JSON.stringify(VALID)),
        }),
        400,
        'INVALID_BODY',
      );
    });
    it('refuses an empty array', async () => {
      await expectRefused(postTelemetry({ headers: JSON_HEADERS, body: '[]' }), 400, 'NO_EVENTS');
    });
    it('refuses a body with no valid event, saying why for each item', async () => {
      const items = [
        'a string',
        { source: '', timestamp: 1 },
        { source: 'a' },
        { source: 'a', timestamp: 'yesterday' },
        { source: 'a', timestamp: '2024-05-01T12:00:00' },
        { source: 'a', timestamp: 1, eventId: 'not-a-uuid' },
        { source: 'a', timestamp: 1, durationMs: -1 },
        { source: 'a', timestamp: 1, type: '' },
        { source: 'x'.repeat(257), timestamp: 1 },
        { source: 'a', timestamp: 1, note: 'nul \u0000 here' },
        { source: 'a', timestamp: 1, 'bad\u0000key': 1 },
        { source: 'a', timestamp: 1, note: 'lone \ud800 surrogate' },
        [{ source: 'a', timestamp: 1 }],
      ];
      const body = await expectRefused(
        postTelemetry({ headers: JSON_HEADERS, body: JSON.stringify(items) }),
        400,
        'NO_VALID_EVENTS',
      );
      expect(body.rejected?.map((r) => r.index)).toEqual(items.map((_item, index) => index));
      expect(body.rejected?.every((r) => r.code === 'INVALID_EVENT' && r.error.length > 0)).toBe(true);
      expect(body.rejected?.[9]?.error).toMatch(/note contains U\+0000/);
      expect(body.rejected?.[3]?.error).toMatch(/timestamp/);
    });
    it('refuses an over-long Idempotency-Key', async () => {
      await expectRefused(
        postTelemetry({
          headers: { ...JSON_HEADERS, 'idempotency-key': 'k'.repeat(257) },
          body: JSON.stringify(VALID),
        }),
        400,
        'INVALID_IDEMPOTENCY_KEY',
      );
    });
  });

  describe('413', () => {
    it('refuses a body over the limit from its length, before parsing it', async () => {
      const body = `[${Array.from({ length: 40 }, () => JSON.stringify(VALID)).join(',')}`; // over 1 KiB, and not even valid JSON
      const refused = await expectRefused(postTelemetry({ headers: JSON_HEADERS, body }), 413, 'PAYLOAD_TOO_LARGE', {
        maxBodyBytes: 1024,
      });
      expect(refused).toMatchObject({ limitBytes: 1024 });
    });
    it('refuses a base64 body whose decoded length is over the limit', async () => {
      await expectRefused(
        postTelemetry({ headers: JSON_HEADERS, body: Buffer.alloc(1025, 0x20) }),
        413,
        'PAYLOAD_TOO_LARGE',
        { maxBodyBytes: 1024 },
      );
      // and takes one exactly at the limit
      const atLimit = Buffer.from(JSON.stringify(VALID).padEnd(1024, ' '));
      const answer = await handleIngest(
        postTelemetry({ headers: JSON_HEADERS, body: atLimit }),
        soon(),
        deps(kinesis, stream, { maxBodyBytes: 1024 }),
      );
      expect(answer.statusCode).toBe(202);
    });
    it('refuses a gzip body that inflates past the limit', async () => {
      const body = gzipSync(Buffer.from(JSON.stringify([VALID]).padEnd(4096, ' ')));
      expect(body.length).toBeLessThan(1024);
      await expectRefused(
        postTelemetry({ headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body }),
        413,
        'PAYLOAD_TOO_LARGE',
        { maxBodyBytes: 1024 },
      );
    });
    it('refuses more events than the per-request limit, JSON and NDJSON', async () => {
      const items = Array.from({ length: 6 }, () => VALID);
      await expectRefused(
        postTelemetry({ headers: JSON_HEADERS, body: JSON.stringify(items) }),
        413,
        'TOO_MANY_EVENTS',
        { maxEventsPerRequest: 5 },
      );
      const ndjson = items.map((item) => JSON.stringify(item)).join('\n');
      await expectRefused(
        postTelemetry({ headers: { ...JSON_HEADERS, 'content-type': 'application/x-ndjson' }, body: ndjson }),
        413,
        'TOO_MANY_EVENTS',
        { maxEventsPerRequest: 5 },
      );
    });
    it('refuses an event larger than a Kinesis record', async () => {
      const big = { ...VALID, blob: 'x'.repeat(MAX_RECORD_BYTES) };
      const body = await expectRefused(
        postTelemetry({ headers: JSON_HEADERS, body: JSON.stringify(big) }),
        413,
        'EVENT_TOO_LARGE',
      );
      expect(body.rejected).toEqual([{ index: 0, code: 'EVENT_TOO_LARGE', error: expect.stringContaining('bytes') }]);
    });
  });

  it('rejects bad items one by one and puts only the good ones (202)', async () => {
    const good = { source: 'ok', timestamp: 1, eventId: '3b241101-e2bb-4255-8caf-4136c566a962' };
    const items = [
      { ...VALID, blob: 'x'.repeat(MAX_RECORD_BYTES) },
      good,
      { ...good, timestamp: 2 },
      { source: 'ok', timestamp: 3, deep: JSON.parse(`${'{"a":'.repeat(80)}1${'}'.repeat(80)}`) as unknown },
      { source: 'ok', timestamp: 4 },
    ];
    const answer = await handleIngest(
      postTelemetry({ headers: JSON_HEADERS, body: JSON.stringify(items) }),
      soon(),
      deps(kinesis, stream),
    );
    expect(answer.statusCode).toBe(202);
    const result = parse<AcceptedBody>(answer);
    expect(result.rejected.map(({ index, code }) => ({ index, code }))).toEqual([
      { index: 0, code: 'EVENT_TOO_LARGE' },
      { index: 2, code: 'DUPLICATE_EVENT_ID' },
      { index: 3, code: 'INVALID_EVENT' },
    ]);
    expect(result.accepted).toBe(2);
    const onStream = await streamEvents(kinesis, stream);
    expect(onStream.map((event) => event.eventId)).toEqual(result.eventIds);
    expect(onStream.map((event) => event.timestamp)).toEqual(['1970-01-01T00:00:00.001Z', '1970-01-01T00:00:00.004Z']);
  });
});

describe('POST /telemetry when the stream will not take the records: 503', () => {
  let kinesis: KinesisClient;
  let stream: string;
  beforeEach(async () => {
    kinesis = testKinesis();
    stream = await createStream(kinesis, 2);
  });

  const items = [
    { source: 'cool', timestamp: 1, n: 0 },
    { source: 'hot', timestamp: 2, n: 1 },
    { source: 'cool', timestamp: 3, n: 2 },
    { source: 'hot', timestamp: 4, n: 3 },
    { source: 'cool', n: 4 },
  ];
  const request = (): APIGatewayProxyEventV2 =>
    postTelemetry({ headers: { ...JSON_HEADERS, 'idempotency-key': 'batch-7' }, body: JSON.stringify(items) });
  const isHot = (entry: { PartitionKey?: string | undefined }): boolean => entry.PartitionKey === 'test/hot';

  it('says which items got in and which did not; only the ones that got in are on the stream; a resend completes it', async () => {
    const fault = injectPartialFailures(kinesis, { fails: isHot });
    const answer = await handleIngest(request(), soon(), deps(kinesis, stream));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['retry-after']).toBe('2');
    const body = parse<ErrorBody>(answer);
    expect(body.code).toBe('STREAM_UNAVAILABLE');
    expect(body.accepted?.map((a) => a.index)).toEqual([0, 2]);
    expect(body.notAccepted?.map((a) => ({ index: a.index, code: a.code }))).toEqual([
      { index: 1, code: 'ProvisionedThroughputExceededException' },
      { index: 3, code: 'ProvisionedThroughputExceededException' },
    ]);
    expect(body.rejected?.map((r) => r.index)).toEqual([4]);
    const onStream = await streamEvents(kinesis, stream);
    expect(onStream.map((event) => event.eventId).sort()).toEqual((body.accepted ?? []).map((a) => a.eventId).sort());

    // The client sends the same request again once the stream recovers: same ids, so the consumer
    // stores each event once although items 0 and 2 are now on the stream twice.
    fault.remove();
    const retry = await handleIngest(request(), soon(), deps(kinesis, stream));
    expect(retry.statusCode).toBe(202);
    const ids = parse<AcceptedBody>(retry).eventIds;
    expect(ids).toEqual([
      body.accepted?.[0]?.eventId,
      body.notAccepted?.[0]?.eventId,
      body.accepted?.[1]?.eventId,
      body.notAccepted?.[1]?.eventId,
    ]);
    expect(new Set((await streamEvents(kinesis, stream)).map((event) => event.eventId))).toEqual(new Set(ids));
  });

  it('retries a transient partial failure and answers 202, counting the retry', async () => {
    injectPartialFailures(kinesis, { fails: (entry, call) => call === 1 && isHot(entry) });
    const d = deps(kinesis, stream);
    const answer = await handleIngest(request(), soon(), d);
    expect(answer.statusCode).toBe(202);
    expect(parse<AcceptedBody>(answer).accepted).toBe(4);
    expect(d.metrics.serializeMetrics()).toMatchObject({ PutRecordsRetries: 1, EventsAccepted: 4 });
    const onStream = await streamEvents(kinesis, stream);
    expect(new Set(onStream.map((event) => event.eventId))).toEqual(new Set(parse<AcceptedBody>(answer).eventIds));
  });

  it('answers 503 with nothing accepted when every call is throttled', async () => {
    injectCallErrors(kinesis, () => true);
    const d = deps(kinesis, stream);
    const answer = await handleIngest(request(), soon(), d);
    const body = parse<ErrorBody>(answer);
    expect({ status: answer.statusCode, code: body.code }).toEqual({ status: 503, code: 'STREAM_UNAVAILABLE' });
    expect(body.accepted).toEqual([]);
    expect(body.notAccepted?.map((a) => a.index)).toEqual([0, 1, 2, 3]);
    expect(d.metrics.serializeMetrics()).toMatchObject({
      EventsAccepted: 0,
      EventsNotAccepted: 4,
      EventsRejected: 1,
      PutRecordsRetries: 2,
    });
    expect(await readAllRecords(kinesis, stream)).toHaveLength(0);
  });

  it('answers 503 when the stream does not exist (a real kinesalite error)', async () => {
    const answer = await handleIngest(request(), soon(), deps(kinesis, 'no-such-stream'));
    const body = parse<ErrorBody>(answer);
    expect({ status: answer.statusCode, code: body.code }).toEqual({ status: 503, code: 'STREAM_UNAVAILABLE' });
    expect(body.notAccepted?.map((a) => a.code)).toEqual([
      'ResourceNotFoundException',
      'ResourceNotFoundException',
      'ResourceNotFoundException',
      'ResourceNotFoundException',
    ]);
  });

  it('answers 503 without calling Kinesis when the deadline has already passed', async () => {
    const answer = await handleIngest(request(), Date.now() - 1, deps(kinesis, stream));
    const body = parse<ErrorBody>(answer);
    expect({ status: answer.statusCode, code: body.code }).toEqual({ status: 503, code: 'STREAM_UNAVAILABLE' });
    expect(body.notAccepted?.map((a) => a.code)).toEqual([
      'DEADLINE_EXCEEDED',
      'DEADLINE_EXCEEDED',
      'DEADLINE_EXCEEDED',
      'DEADLINE_EXCEEDED',
    ]);
    expect(await readAllRecords(kinesis, stream)).toHaveLength(0);
  });
});
