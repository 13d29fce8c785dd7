import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testKeyStore } from '../../../__tests__/helpers/keys';
import { handleIngest } from '../../../lib/ingest/handleIngest';
import { readIngestConfig } from '../../../lib/ingest/config';
import { ingestDeadline } from '../../../lib/ingest/deadline';
import {
  formatStats,
  functionNames,
  malformedItem,
  percentile,
  planBatches,
  poisonEvent,
  progressLine,
  runLoad,
  seededRandom,
  telemetryItem,
  type RequestOutcome,
} from '../../src/load';
import { startHttpApi, type HttpApiServer } from '../../src/httpApi';
import { createObservability } from '../../../lib/lambda/observability';
import { decodeEvent, eventProblem } from '../../../lib/telemetry/event';
import { normalizeEvent } from '../../../lib/telemetry/normalize';
import { createStream, readAllRecords, testKinesis } from '../../../__tests__/helpers/local';

// The load client against the real ingest handler behind the local HTTP adapter, writing to a
// kinesalite stream of the shared test services: what it reports is checked against the stream.

const API_KEY = 'send-client-test-key';
const context = { tenant: 'test', index: 0, idempotencyKey: undefined, receivedAt: new Date().toISOString() };

describe('load client pieces', () => {
  const sources = functionNames(12);

  it('generates items ingest accepts, and malformed items it refuses, the same for the same seed', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 500; i += 1) {
      const good = telemetryItem(random, sources);
      const result = normalizeEvent(good, context);
      expect(result).toMatchObject({ ok: true });
      if (result.ok) expect(sources).toContain(result.event.source);
      expect(normalizeEvent(malformedItem(random, sources), context)).toMatchObject({ ok: false });
    }
    const now = Date.UTC(2025, 0, 1);
    const a = seededRandom(5);
    const b = seededRandom(5);
    expect(Array.from({ length: 20 }, () => telemetryItem(a, sources, now))).toEqual(
      Array.from({ length: 20 }, () => telemetryItem(b, sources, now)),
    );
    expect(new Set(functionNames(60)).size).toBe(60);
  });

  it('makes poison events that pass the consumer’s checks but that ingest would refuse (U+0000)', () => {
    const event = poisonEvent(seededRandom(3), sources);
    expect(eventProblem(JSON.parse(JSON.stringify(event)))).toBeUndefined();
    expect(JSON.stringify(event.payload)).toContain('\\u0000');
    const { v: _v, receivedAt: _receivedAt, payload, ...named } = event;
    expect(normalizeEvent({ ...named, ...payload }, context)).toMatchObject({
      ok: false,
      error: expect.stringContaining('U+0000'),
    });
  });

  it('plans batches open-loop and takes nearest-rank percentiles', () => {
    const plan = planBatches({ events: 250, batchSize: 100, rate: 500 });
    expect(plan.sizes).toEqual([100, 100, 50]);
    expect(plan.dueAtMs(2)).toBe(400);
    expect(planBatches({ events: 0, batchSize: 100, rate: 1 }).sizes).toEqual([]);
    expect(() => planBatches({ events: 10, batchSize: 0, rate: 1 })).toThrow(RangeError);
    expect(() => planBatches({ events: 10, batchSize: 10, rate: 0 })).toThrow(RangeError);
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(20);
    expect(percentile([10, 20, 30, 40], 0.99)).toBe(40);
    expect(percentile([], 0.5)).toBe(0);
  });
});

describe('runLoad against the real ingest handler', () => {
  const kinesis = testKinesis();
  let streamName: string;
  let api: HttpApiServer;
  /** Requests being handled right now, and the most at once (the in-flight limit test reads them). */
  const inFlight = { now: 0, max: 0, delayMs: 0 };

  beforeAll(async () => {
    streamName = await createStream(kinesis);
    const config = readIngestConfig({ TELEMETRY_STREAM_NAME: streamName, API_KEYS_PATH: '/send-client/api-keys/' });
    const deps = {
      ...createObservability('ingest', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
      kinesis,
      config,
      keys: testKeyStore([{ key: API_KEY, tenant: 'send-client' }]),
    };
    api = await startHttpApi(
      [
        {
          method: 'POST',
          path: '/telemetry',
          functionName: 'ingest',
          timeoutMs: 29_000,
          handler: async (event, ctx) => {
            inFlight.now += 1;
            inFlight.max = Math.max(inFlight.max, inFlight.now);
            try {
              if (inFlight.delayMs) await new Promise((resolve) => setTimeout(resolve, inFlight.delayMs));
              return await handleIngest(event, ingestDeadline(ctx.getRemainingTimeInMillis()), deps);
            } finally {
              inFlight.now -= 1;
            }
          },
        },
      ],
      0,
    );
  });
  afterAll(async () => {
    await api?.close();
    kinesis.destroy();
  });

  it('sends what it planned, and its counts match the answers and the stream', async () => {
    const outcomes: RequestOutcome[] = [];
    const stats = await runLoad({
      apiUrl: api.url,
      apiKey: API_KEY,
      rate: 5_000,
      durationSeconds: 30,
      events: 1_050,
      batchSize: 100,
      malformedFraction: 0.05,
      seed: 1,
      onResponse: (outcome) => outcomes.push(outcome),
    });

    expect(stats).toMatchObject({
      plannedEvents: 1_050,
      requests: 11,
      eventsSent: 1_050,
      notAccepted: 0,
      unanswered: 0,
      stoppedBecause: 'done',
      byStatus: { '202': 11 },
    });
    expect(stats.malformedSent).toBeGreaterThan(0);
    expect(stats.rejected).toBe(stats.malformedSent);
    expect(stats.accepted).toBe(1_050 - stats.malformedSent);
    expect(outcomes.map((o) => o.items).sort((a, b) => a - b)).toEqual([50, ...Array(10).fill(100)]);
    for (const outcome of outcomes) {
      expect(outcome.rejected).toBe(outcome.malformed);
      expect(outcome.acceptedIds).toHaveLength(outcome.items - outcome.malformed);
    }
    expect(stats.latencyMs.p50).toBeGreaterThan(0);
    expect(stats.latencyMs.p99).toBeGreaterThanOrEqual(stats.latencyMs.p50);
    expect(stats.achievedRate).toBeGreaterThan(0);

    const accepted = outcomes.flatMap((o) => o.acceptedIds);
    const onStream = (await readAllRecords(kinesis, streamName)).map((record) =>
      decodeEvent(record.Data ?? new Uint8Array()),
    );
    const events = onStream.flatMap((result) => (result.ok ? [result.event] : []));
    expect(events).toHaveLength(onStream.length);
    expect(events.map((e) => e.eventId).sort()).toEqual([...accepted].sort());
    const sources = new Set(functionNames(12));
    for (const event of events) {
      expect(sources.has(event.source)).toBe(true);
      expect(['invocation', 'error']).toContain(event.type);
      expect(event.payload).toEqual(
        expect.objectContaining({
          requestId: expect.any(String),
          memoryMb: expect.any(Number),
          coldStart: expect.any(Boolean),
          region: expect.any(String),
        }),
      );
    }

    const table = formatStats(stats);
    expect(table).toContain('1,050 of 1,050 planned');
    expect(table).toContain('202: 11');
    expect(progressLine(stats)).toContain(`accepted ${stats.accepted.toLocaleString('en-US')}`);
  });

  it('puts poison records straight on the stream when asked, beside the POSTs', async () => {
    const poisonStream = await createStream(kinesis);
    const outcomes: RequestOutcome[] = [];
    const stats = await runLoad({
      apiUrl: api.url,
      apiKey: API_KEY,
      rate: 5_000,
      durationSeconds: 30,
      events: 400,
      poison: { fraction: 0.05, kinesis, stream: { streamName: poisonStream } },
      seed: 2,
      onResponse: (outcome) => outcomes.push(outcome),
    });
    expect(stats.poisonPut).toBeGreaterThan(0);
    expect(stats.poisonFailed).toBe(0);
    const onStream = await readAllRecords(kinesis, poisonStream);
    const ids = onStream.map((record) => {
      const decoded = decodeEvent(record.Data ?? new Uint8Array());
      if (!decoded.ok) throw new Error(decoded.error);
      expect(JSON.stringify(decoded.event.payload)).toContain('\\u0000');
      return decoded.event.eventId;
    });
    expect(ids.sort()).toEqual(outcomes.flatMap((o) => o.poisonIds).sort());
    expect(ids).toHaveLength(stats.poisonPut);
  });

  it('starts no request after the duration, however many events were asked for', async () => {
    const stats = await runLoad({
      apiUrl: api.url,
      apiKey: API_KEY,
      rate: 100,
      durationSeconds: 0.5,
      events: 1_000,
      batchSize: 10,
      seed: 3,
    });
    expect(stats.stoppedBecause).toBe('duration');
    expect(stats.eventsSent).toBeLessThan(1_000);
    expect(stats.eventsSent).toBe(stats.requests * 10);
    expect(stats.accepted).toBe(stats.eventsSent);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    inFlight.max = 0;
    inFlight.delayMs = 100;
    try {
      const stats = await runLoad({
        apiUrl: api.url,
        apiKey: API_KEY,
        rate: 100_000,
        durationSeconds: 30,
        events: 120,
        batchSize: 10,
        concurrency: 3,
        seed: 4,
      });
      expect(stats).toMatchObject({ requests: 12, accepted: 120, stoppedBecause: 'done' });
      expect(inFlight.max).toBeLessThanOrEqual(3);
      expect(inFlight.max).toBeGreaterThan(1);
    } finally {
      inFlight.delayMs = 0;
    }
  });

  it('stops starting requests when aborted', async () => {
    const controller = new AbortController();
    const stats = await runLoad({
      apiUrl: api.url,
      apiKey: API_KEY,
      rate: 200,
      durationSeconds: 30,
      events: 2_000,
      batchSize: 20,
      signal: controller.signal,
      onResponse: () => controller.abort(),
    });
    expect(stats.stoppedBecause).toBe('aborted');
    expect(stats.requests).toBeLessThan(100);
    expect(stats.accepted).toBe(stats.eventsSent);
  });

  it('counts requests that get no answer, and a wrong key, without throwing', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const refused = await runLoad({
      apiUrl: `http://127.0.0.1:${port}`,
      apiKey: API_KEY,
      rate: 1_000,
      durationSeconds: 5,
      events: 30,
      batchSize: 10,
    });
    expect(refused).toMatchObject({ requests: 3, unanswered: 30, accepted: 0, byStatus: { error: 3 } });
    expect(refused.errors.join(' ')).toMatch(/ECONNREFUSED|fetch failed/);

    const wrongKey = await runLoad({
      apiUrl: api.url,
      apiKey: 'not-the-key',
      rate: 1_000,
      durationSeconds: 5,
      events: 20,
      batchSize: 10,
    });
    expect(wrongKey).toMatchObject({ requests: 2, unanswered: 0, accepted: 0, byStatus: { '401': 2 } });
    expect(wrongKey.errors).toEqual(['HTTP 401 UNAUTHORIZED']);
  });
});
