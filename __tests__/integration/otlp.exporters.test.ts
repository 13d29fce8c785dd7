/**
 * Real OpenTelemetry clients against the whole local stack: the JS SDK's OTLP exporters (protobuf
 * and JSON, traces and logs; the 0.223 line, which runs on Node 20) send to `npm start`'s API, and
 * every span and log record becomes a row with the mapped fields. With the stream throttled, the
 * exporter's own retry after the 503 ends with each span stored exactly once. The clients run in a
 * child process (__tests__/helpers/otelSend.ts): the exporters use dynamic import(), which jest's
 * CommonJS sandbox refuses.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Client } from 'pg';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import type { AwsConfig } from '../../lib/config';
import { startLocalStack, type LocalStack } from '../../local/src/stack';
import { startServicesChild, type ServicesChild } from '../../local/src/servicesChild';
import { injectPartialFailures } from '../helpers/kinesisFaults';
import type { SendRequest, SendResult } from '../helpers/otelSend';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
/** OTLP's SpanKind SERVER (the API's SpanKind.SERVER is 1: the wire enum counts UNSPECIFIED as 0). */
const SPAN_KIND_SERVER = 2;
/** SeverityNumber WARN. */
const WARN = 13;

interface Row {
  event_id: string;
  source: string;
  type: string;
  event_time: Date;
  duration_ms: number | null;
  payload: Record<string, unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function send(request: SendRequest): Promise<SendResult & { stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      TSX,
      [path.join(ROOT, '__tests__', 'helpers', 'otelSend.ts'), JSON.stringify(request)],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, OTEL_LOG_LEVEL: 'ERROR' } },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve({ ...(JSON.parse(line) as SendResult), stderr });
        } catch {
          reject(new Error(`the client printed no result (${error?.message ?? ''}):\n${stdout}${stderr}`));
        }
      },
    );
  });
}
describe('OpenTelemetry exporters → OTLP/HTTP routes → Postgres', () => {
  let services: ServicesChild;
  let stack: LocalStack;
  let db: Client;
  let aws: AwsConfig;
  /** PutRecords calls still to fail whole, and the entries failed so far. */
  const throttle = { failCalls: 0, failedEntries: 0 };

  beforeAll(async () => {
    services = await startServicesChild();
    aws = {
      region: 'us-east-1',
      kinesisEndpoint: services.kinesisEndpoint,
      sqsEndpoint: services.sqsEndpoint,
      streamAddressing: 'name',
    };
    const faultyKinesis = (region: string): KinesisClient => {
      const client = createKinesisClient(aws, region);
      // Whole calls fail, as on a throttled stream: the first entry of a call decides for the call.
      let failingCall: number | undefined;
      injectPartialFailures(client, {
        fails: (_entry, call, position) => {
          if (position === 0) {
            failingCall = throttle.failCalls > 0 ? call : undefined;
            if (failingCall !== undefined) throttle.failCalls -= 1;
          }
          if (failingCall !== call) return false;
          throttle.failedEntries += 1;
          return true;
        },
      });
      return client;
    };
    stack = await startLocalStack({
      port: 0,
      root: path.resolve(__dirname, '..', '..'),
      services,
      clients: { kinesis: faultyKinesis },
      esmTiming: { pollIntervalMs: 200, shardDiscoveryIntervalMs: 500 },
    });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
    await services?.stop();
  }, 30_000);

  /** Rows whose payload field `key` is one of `values`, once `count` of them are there (bounded wait). */
  async function rowsWhere(key: string, values: string[], count = values.length): Promise<Row[]> {
    let rows: Row[] = [];
    for (let attempt = 0; attempt < 100; attempt += 1) {
      ({ rows } = await db.query<Row>(
        'SELECT event_id, source, type, event_time, duration_ms, payload FROM telemetry_events WHERE payload->>$1 = ANY($2)',
        [key, values],
      ));
      if (rows.length >= count) break;
      await sleep(200);
    }
    return rows;
  }

  it.each([
    ['protobuf (exporter-trace-otlp-proto)', 'proto'],
    ['JSON (exporter-trace-otlp-http)', 'http'],
  ] as const)(
    'stores the spans %s sends, one row each with the mapped fields',
    async (_title, protocol) => {
      const service = `checkout-${protocol}`;
      const sent = await send({
        signal: 'traces',
        protocol,
        url: `${stack.apiUrl}/v1/traces`,
        apiKey: stack.apiKey,
        service,
        count: 3,
        marker: `m-${Date.now()}`,
      });
      expect({ ok: sent.ok, error: sent.error }).toEqual({ ok: true, error: undefined });

      const rows = await rowsWhere('spanId', sent.ids);
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        const at = sent.ids.indexOf(row.payload.spanId as string);
        expect(row).toMatchObject({ source: service, type: 'span' });
        expect(row.payload).toMatchObject({
          traceId: sent.traceIds[at],
          kind: SPAN_KIND_SERVER,
          name: `GET /cart/${at}`,
        });
        expect(row.payload.resource).toMatchObject({ 'service.name': service, 'deployment.environment': 'test' });
        expect(row.payload.scope).toMatchObject({ name: 'test-scope', version: '1.2.3' });
        expect(row.duration_ms).toBeGreaterThanOrEqual(200);
        expect(row.duration_ms).toBeLessThan(60_000);
      }
      const failed = rows.find((row) => row.payload.name === 'GET /cart/1');
      expect(failed?.payload.status).toMatchObject({ code: 2, message: 'boom' });
      const third = rows.find((row) => row.payload.name === 'GET /cart/2');
      // OTLP carries integers as int64: kept as decimal strings, as OTLP's JSON mapping writes them.
      expect(third?.payload.attributes).toMatchObject({ 'http.status_code': '202', retried: true, tags: ['a', 'b'] });
    },
    90_000,
  );

  it.each([
    ['protobuf (exporter-logs-otlp-proto)', 'proto'],
    ['JSON (exporter-logs-otlp-http)', 'http'],
  ] as const)(
    'stores the log records %s sends',
    async (_title, protocol) => {
      const marker = `m-${protocol}-${Date.now()}`;
      const sent = await send({
        signal: 'logs',
        protocol,
        url: `${stack.apiUrl}/v1/logs`,
        apiKey: stack.apiKey,
        service: `billing-${protocol}`,
        count: 2,
        marker,
      });
      expect({ ok: sent.ok, error: sent.error }).toEqual({ ok: true, error: undefined });
      const rows = await rowsWhere('body', sent.ids);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row).toMatchObject({ source: `billing-${protocol}`, type: 'log' });
        expect(row.payload).toMatchObject({
          severityNumber: WARN,
          severityText: 'WARN',
          attributes: { marker, 'faas.coldstart': true },
        });
      }
    },
    90_000,
  );

  it('with the stream throttled, the exporter retries after the 503 and each span is stored exactly once', async () => {
    // The first PutRecords call fails whole, as a throttled stream answers: the receiver answers 503
    // with Retry-After, and the exporter sends the whole request again.
    throttle.failCalls = 1;
    throttle.failedEntries = 0;
    const sent = await send({
      signal: 'traces',
      protocol: 'proto',
      url: `${stack.apiUrl}/v1/traces`,
      apiKey: stack.apiKey,
      service: 'throttled',
      count: 5,
      marker: `m-${Date.now()}`,
    });
    expect({ ok: sent.ok, error: sent.error }).toEqual({ ok: true, error: undefined });
    expect(throttle.failedEntries).toBe(5);
    const rows = await rowsWhere('spanId', sent.ids);
    // Give a duplicate, were there one, the time to arrive.
    await sleep(1_000);
    const { rows: counts } = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM telemetry_events WHERE payload->>'spanId' = ANY($1) GROUP BY payload->>'spanId'",
      [sent.ids],
    );
    expect(rows).toHaveLength(5);
    expect(counts.map((c) => Number(c.n))).toEqual([1, 1, 1, 1, 1]);
  }, 90_000);
});
