import { gzipSync } from 'node:zlib';
import type { AcceptedBody } from '../../lib/ingest/answers';
import { ingestDeadline } from '../../lib/ingest/deadline';
import { DEADLINE_MARGIN_MS, MAX_PUT_MS } from '../../lib/ingest/limits';
import type { TelemetryEvent } from '../../lib/telemetry/event';
import { lambdaContext, postTelemetry } from '../helpers/apiEvent';
import { seedKeyStore } from '../helpers/keys';
import { createStream, readAllRecords, testKinesis, testSsm } from '../helpers/local';

const API_KEY = 'handler-test-key';

describe('the exported ingest handler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  it('is configured from the environment, puts to the stream and publishes EMF metrics', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis);
    Object.assign(process.env, {
      TELEMETRY_STREAM_NAME: stream,
      API_KEYS_PATH: await seedKeyStore(testSsm(), [
        { key: 'old-key', tenant: 'acme' },
        { key: API_KEY, tenant: 'acme' },
      ]),
      AWS_ENDPOINT_URL_SSM: process.env.TEST_SSM_ENDPOINT,
      AWS_ENDPOINT_URL_KINESIS: process.env.TEST_KINESIS_ENDPOINT,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      // dev mode writes EMF through the global console, where this test can read it
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'TelemetryTest',
    });
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));

    let handler: typeof import('../../handlers/ingest').handler | undefined;
    jest.isolateModules(() => {
      ({ handler } = require('../../handlers/ingest') as typeof import('../../handlers/ingest'));
    });
    const events = [
      { source: 'fn-a', timestamp: 1_700_000_000_000 },
      { source: 'fn-b', timestamp: '2024-05-01T12:00:00Z', durationMs: 3 },
    ];
    const answer = await handler?.(
      postTelemetry({
        headers: {
          'x-api-key': API_KEY,
          'content-type': 'application/x-ndjson',
          'content-encoding': 'gzip',
          'idempotency-key': 'h-1',
        },
        body: gzipSync(events.map((event) => JSON.stringify(event)).join('\n')),
      }),
      lambdaContext(10_000, 'ingest'),
    );

    expect(answer?.statusCode).toBe(202);
    const body = JSON.parse(answer?.body ?? '') as AcceptedBody;
    expect(body.accepted).toBe(2);
    const onStream = (await readAllRecords(kinesis, stream)).map((record) => ({
      key: record.PartitionKey,
      event: JSON.parse(Buffer.from(record.Data ?? []).toString()) as TelemetryEvent,
    }));
    expect(onStream.map(({ key, event }) => [key, event.eventId])).toEqual([
      ['acme/fn-a', body.eventIds[0]],
      ['acme/fn-b', body.eventIds[1]],
    ]);

    const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => '_aws' in entry);
    expect(emf).toMatchObject({
      EventsAccepted: 2,
      EventsRejected: 0,
      PutRecordsRetries: 0,
      _aws: { CloudWatchMetrics: [{ Namespace: 'TelemetryTest' }] },
    });

    // a wrong key is refused by the same container
    const refused = await handler?.(postTelemetry({ headers: { 'x-api-key': 'nope' }, body: '{}' }), lambdaContext());
    expect(refused?.statusCode).toBe(401);
  });

  it('fails closed when its configuration is missing', async () => {
    delete process.env.API_KEYS_PATH;
    process.env.TELEMETRY_STREAM_NAME = 'telemetry';
    let handler: typeof import('../../handlers/ingest').handler | undefined;
    jest.isolateModules(() => {
      ({ handler } = require('../../handlers/ingest') as typeof import('../../handlers/ingest'));
    });
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      lines.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    await expect(
      handler?.(postTelemetry({ headers: { 'x-api-key': API_KEY }, body: '{}' }), lambdaContext()),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/API_KEYS_PATH/),
    });
    // Logged once, by the handler shape, with its code; then thrown on to Lambda.
    const failures = lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"invocation failed"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 'ERROR',
      code: 'CONFIG_INVALID',
      error: expect.stringMatching(/API_KEYS_PATH/),
    });
  });
});

describe('ingestDeadline', () => {
  it('keeps a margin before the Lambda timeout, caps the wait, and never lies in the past of now', () => {
    const now = 1_000_000;
    expect(ingestDeadline(5_000, now)).toBe(now + 5_000 - DEADLINE_MARGIN_MS);
    expect(ingestDeadline(900_000, now)).toBe(now + MAX_PUT_MS);
    expect(ingestDeadline(DEADLINE_MARGIN_MS - 1, now)).toBe(now);
  });
});
