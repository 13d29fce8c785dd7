import { gzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AcceptedBody } from '../../lib/ingest/answers';
import type { IngestConfig } from '../../lib/ingest/config';
import { handleIngest, type IngestDeps } from '../../lib/ingest/handleIngest';
import { eventProblem, type TelemetryEvent } from '../../lib/telemetry/event';
import { derivedEventId } from '../../lib/telemetry/ids';
import { ingestDeps, TEST_TENANT } from '../helpers/ingestDeps';
import { postTelemetry } from '../helpers/apiEvent';
import { observePutRecords } from '../helpers/kinesisFaults';
import { createStream, readAllRecords, testKinesis } from '../helpers/local';

const API_KEY = 'ingest-test-key';
const JSON_HEADERS = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

function deps(kinesis: KinesisClient, streamName: string, config: Partial<IngestConfig> = {}): IngestDeps {
  return ingestDeps(kinesis, streamName, { apiKeys: ['another-key', API_KEY], config });
}

const soon = (): number => Date.now() + 20_000;

function parse<T>(answer: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(answer.body ?? '') as T;
}

async function streamEvents(
  kinesis: KinesisClient,
  stream: string,
): Promise<{ event: TelemetryEvent; partitionKey: string; shardId: string }[]> {
  const records = await readAllRecords(kinesis, stream);
  return records.map((record) => ({
    event: JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')) as TelemetryEvent,
    partitionKey: record.PartitionKey ?? '',
    shardId: record.shardId,
  }));
}

describe('POST /telemetry accepted (real kinesalite)', () => {
  let kinesis: KinesisClient;
  let stream: string;
  beforeEach(async () => {
    kinesis = testKinesis();
    stream = await createStream(kinesis, 2);
  });

  it('takes one JSON object: 202, Location, and the record on the stream is exactly the normalised event', async () => {
    const body = JSON.stringify({
      source: 'checkout-fn',
      timestamp: 1_700_000_000_000,
      durationMs: 12.5,
      coldStart: true,
      memory: { mb: 512 },
    });
    const answer = await handleIngest(postTelemetry({ headers: JSON_HEADERS, body }), soon(), deps(kinesis, stream));

    expect(answer.statusCode).toBe(202);
    expect(answer.headers?.['content-type']).toBe('application/json');
    const result = parse<AcceptedBody>(answer);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([]);
    expect(result.eventIds).toHaveLength(1);
    expect(answer.headers?.location).toBe(`/telemetry/${result.eventIds[0]}`);

    const onStream = await streamEvents(kinesis, stream);
    expect(onStream).toHaveLength(1);
    const [{ event, partitionKey }] = onStream as [(typeof onStream)[number]];
    expect(partitionKey).toBe('test/checkout-fn');
    expect(event).toEqual({
      v: 2,
      tenant: 'test',
      eventId: result.eventIds[0],
      source: 'checkout-fn',
      type: 'invocation',
      timestamp: '2023-11-14T22:13:20.000Z',
      durationMs: 12.5,
      payload: { coldStart: true, memory: { mb: 512 } },
      receivedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(eventProblem(event)).toBeUndefined();
    // a fresh id with no Idempotency-Key is a UUIDv7
    expect(result.eventIds[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('takes a JSON array across sources: the stream holds exactly the accepted events, keyed by source, in order per source', async () => {
    const sources = ['api', 'worker', 'cron'];
    const items = Array.from({ length: 60 }, (_, i) => ({
      source: sources[i % 3],
      timestamp: new Date(1_700_000_000_000 + i).toISOString(),
      seq: i,
    }));
    const answer = await handleIngest(
      postTelemetry({ headers: JSON_HEADERS, body: JSON.stringify(items) }),
      soon(),
      deps(kinesis, stream),
    );
    expect(answer.statusCode).toBe(202);
    const result = parse<AcceptedBody>(answer);
    expect(result.accepted).toBe(60);
    expect(new Set(result.eventIds).size).toBe(60);

    const onStream = await streamEvents(kinesis, stream);
    expect(onStream.map((r) => r.event.eventId).sort()).toEqual([...result.eventIds].sort());
    for (const { event, partitionKey } of onStream) {
      expect(partitionKey).toBe(`${TEST_TENANT}/${event.source}`);
      expect(eventProblem(event)).toBeUndefined();
      expect(event.eventId).toBe(result.eventIds[event.payload.seq as number]);
    }
    for (const source of sources) {
      const key = `${TEST_TENANT}/${source}`;
      const seqs = onStream.filter((r) => r.partitionKey === key).map((r) => r.event.payload.seq as number);
      expect(seqs).toEqual(items.filter((item) => item.source === source).map((item) => item.seq));
      // one partition key, one shard
      expect(new Set(onStream.filter((r) => r.partitionKey === key).map((r) => r.shardId)).size).toBe(1);
    }
  });

  it('takes NDJSON: blank lines are not items, a bad line is rejected by its index, the rest is put', async () => {
    const body = [
      JSON.stringify({ source: 'a', timestamp: '2024-05-01T12:00:00+02:00', type: 'cold-start' }),
      '',
      '{"source": "a", "timestamp": ',
      JSON.stringify({ source: 'b', timestamp: 1_714_557_600_000 }),
      '',
    ].join('\r\n');
    const answer = await handleIngest(
      postTelemetry({ headers: { ...JSON_HEADERS, 'content-type': 'application/x-ndjson' }, body }),
      soon(),
      deps(kinesis, stream),
    );
    expect(answer.statusCode).toBe(202);
    const result = parse<AcceptedBody>(answer);
    expect(result.accepted).toBe(2);
    expect(result.rejected).toEqual([
      { index: 1, code: 'INVALID_JSON', error: expect.stringContaining('not valid JSON') },
    ]);

    const onStream = await streamEvents(kinesis, stream);
    expect(onStream.map((r) => r.event.eventId).sort()).toEqual([...result.eventIds].sort());
    const first = onStream.find((r) => r.event.source === 'a')?.event;
    expect(first?.timestamp).toBe('2024-05-01T10:00:00.000Z');
    expect(first?.type).toBe('cold-start');
  });

  it('takes a gzip body delivered base64-encoded, with a charset parameter', async () => {
    const items = [{ source: 'zipped', timestamp: 1_700_000_000_000, note: 'é✓' }];
    const event = postTelemetry({
      headers: { ...JSON_HEADERS, 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from(JSON.stringify(items))),
    });
    expect(event.isBase64Encoded).toBe(true);
    const answer = await handleIngest(event, soon(), deps(kinesis, stream));
    expect(answer.statusCode).toBe(202);
    const onStream = await streamEvents(kinesis, stream);
    expect(onStream.map((r) => r.event.payload)).toEqual([{ note: 'é✓' }]);
    expect(onStream.map((r) => r.event.eventId)).toEqual(parse<AcceptedBody>(answer).eventIds);
  });

  it('reads a body without a content type as JSON', async () => {
    const answer = await handleIngest(
      postTelemetry({ headers: { 'x-api-key': API_KEY }, body: JSON.stringify({ source: 's', timestamp: 1 }) }),
      soon(),
      deps(kinesis, stream),
    );
    expect(answer.statusCode).toBe(202);
    expect(await streamEvents(kinesis, stream)).toHaveLength(1);
  });

  it('gives stable ids under an Idempotency-Key: a retried request yields the same ids, a client eventId wins', async () => {
    const clientId = 'F47AC10B-58CC-4372-A567-0E02B2C3D479';
    const items = [
      { source: 'a', timestamp: 1 },
      { source: 'b', timestamp: 2, eventId: clientId },
      { source: 'c', timestamp: 3 },
    ];
    const send = (headers: Record<string, string>): Promise<AcceptedBody> =>
      handleIngest(
        postTelemetry({ headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(items) }),
        soon(),
        deps(kinesis, stream),
      ).then((a) => parse<AcceptedBody>(a));

    const first = await send({ 'idempotency-key': 'upload-42' });
    const retry = await send({ 'idempotency-key': 'upload-42' });
    const other = await send({ 'idempotency-key': 'upload-43' });
    const none1 = await send({});
    const none2 = await send({});

    // Derived from the tenant, the Idempotency-Key and the position: another tenant's same key differs
    // (tenants.test.ts), another key of the same tenant's does not.
    const scoped = `tenant:${TEST_TENANT}:upload-42`;
    expect(first.eventIds).toEqual([derivedEventId(scoped, 0), clientId.toLowerCase(), derivedEventId(scoped, 2)]);
    expect(retry.eventIds).toEqual(first.eventIds);
    expect(other.eventIds[0]).not.toBe(first.eventIds[0]);
    expect(other.eventIds[1]).toBe(clientId.toLowerCase());
    expect(none1.eventIds[0]).not.toBe(none2.eventIds[0]);

    // what is on the stream carries the same ids: the retry's records duplicate the first's, which the consumer drops
    const onStream = await streamEvents(kinesis, stream);
    const ids = onStream.map((r) => r.event.eventId);
    expect(ids.filter((id) => id === derivedEventId(scoped, 0))).toHaveLength(2);
    expect(ids).toHaveLength(15);

    // The same Idempotency-Key with another API key of the same tenant (a rotated key): the same ids,
    // so the resend is deduplicated. Another tenant's get ids of their own (tenants.test.ts).
    const otherClient = await handleIngest(
      postTelemetry({
        headers: { ...JSON_HEADERS, 'x-api-key': 'another-key', 'idempotency-key': 'upload-42' },
        body: JSON.stringify(items),
      }),
      soon(),
      deps(kinesis, stream),
    ).then((a) => parse<AcceptedBody>(a));
    expect(otherClient.eventIds).toEqual(first.eventIds);
  });

  it('puts 1,200 events in PutRecords calls of at most 500, side by side (one lane per call needed)', async () => {
    const items = Array.from({ length: 1_200 }, (_, i) => ({ source: `fn-${i % 10}`, timestamp: i }));
    const client = testKinesis();
    const watch = observePutRecords(client);
    const answer = await handleIngest(
      postTelemetry({ headers: JSON_HEADERS, body: JSON.stringify(items) }),
      soon(),
      deps(client, stream),
    );
    expect(answer.statusCode).toBe(202);
    // Three calls' worth: three lanes of whole sources (10 sources of 120 events), each one call.
    expect(watch.calls.map((call) => call.entries).sort((a, b) => b - a)).toEqual([480, 360, 360]);
    expect(watch.calls.every((call) => call.entries <= 500)).toBe(true);
    expect(await streamEvents(kinesis, stream)).toHaveLength(1_200);
  });

  it('counts accepted and rejected events and bytes in EMF metrics', async () => {
    const d = deps(kinesis, stream);
    const body = JSON.stringify([{ source: 'a', timestamp: 1 }, { source: 'a' }, { source: 'b', timestamp: 2 }]);
    await handleIngest(postTelemetry({ headers: JSON_HEADERS, body }), soon(), d);
    const emf = d.metrics.serializeMetrics() as unknown as Record<string, unknown>;
    expect(emf).toMatchObject({
      EventsAccepted: 2,
      EventsRejected: 1,
      EventsNotAccepted: 0,
      BytesReceived: Buffer.byteLength(body),
      PutRecordsRetries: 0,
    });
    const definitions = (
      emf._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] }
    ).CloudWatchMetrics[0];
    expect(definitions?.Namespace).toBe('TelemetryPipeline');
    expect(definitions?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'BytesReceived', Unit: 'Bytes' },
        { Name: 'EventsAccepted', Unit: 'Count' },
      ]),
    );
  });
});
