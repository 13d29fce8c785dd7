/**
 * The OTLP/HTTP routes through the exported ingest handler against kinesalite: every answer the
 * specification asks for (200 with or without partial_success, 400, 401, 413, 415, 503 + Retry-After)
 * in the request's encoding; protobuf and JSON bodies of the same data put the same events; and
 * no body, however malformed, truncated or hostile, gets a 5xx.
 */
import { gzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import type { TelemetryEvent } from '../../lib/telemetry/event';
import { lambdaHandler, type LambdaHandler } from '../../lib/lambda/lambdaHandler';
import { ingestFunction } from '../../lib/ingest/ingestFunction';
import { WireReader } from '../../lib/otlp/protobuf/wireReader';
import { apiEvent, lambdaContext } from '../helpers/apiEvent';
import { injectPartialFailures } from '../helpers/kinesisFaults';
import { seedKeyStore } from '../helpers/keys';
import { createStream, readAllRecords, testAwsConfig, testKinesis, testSsm } from '../helpers/local';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

const API_KEY = 'otlp-test-key';
type Handler = LambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

function otlpRequest(
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  return apiEvent({ method: 'POST', path, routeKey: `POST ${path}`, body, headers });
}

async function spans(count: number, service = 'checkout'): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  for (let i = 0; i < count; i += 1) {
    const span = provider.getTracer('t').startSpan(`op ${i}`, { attributes: { i, ok: true } });
    span.addEvent('tick', { n: i });
    span.end();
  }
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

/** google.rpc.Status from a protobuf error body: code (1) and message (2). */
function rpcStatus(body: Buffer): { code: number; message: string } {
  const reader = new WireReader(body);
  const status = { code: 0, message: '' };
  while (!reader.atEnd()) {
    const tag = reader.readTag();
    if (tag >>> 3 === 1) status.code = reader.readInt32();
    else if (tag >>> 3 === 2) status.message = reader.readString();
    else reader.skip(tag & 7);
  }
  return status;
}

function bodyOf(answer: APIGatewayProxyStructuredResultV2): Buffer {
  return Buffer.from(answer.body ?? '', answer.isBase64Encoded ? 'base64' : 'utf8');
}

describe('OTLP/HTTP routes (ingest handler)', () => {
  let kinesis: KinesisClient;
  let stream: string;
  let handler: Handler;
  let throttled: Handler;
  const throttle = { on: false };

  beforeAll(async () => {
    // Powertools reads this from process.env only: the EMF lines of hundreds of requests say nothing here.
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    kinesis = testKinesis();
    stream = await createStream(kinesis, 1);
    const env = {
      TELEMETRY_STREAM_NAME: stream,
      API_KEYS_PATH: await seedKeyStore(testSsm(), [{ key: API_KEY, tenant: 'otlp' }]),
      AWS_ENDPOINT_URL_SSM: process.env.TEST_SSM_ENDPOINT,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_KINESIS: process.env.TEST_KINESIS_ENDPOINT,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    handler = lambdaHandler(ingestFunction, { env });
    throttled = lambdaHandler(ingestFunction, {
      env,
      clients: {
        kinesis: (region) => {
          const client = createKinesisClient(testAwsConfig(), region);
          injectPartialFailures(client, { fails: () => throttle.on });
          return client;
        },
      },
    });
  });

  async function putEvents(from: number): Promise<TelemetryEvent[]> {
    const records = await readAllRecords(kinesis, stream);
    return records.slice(from).map((r) => JSON.parse(Buffer.from(r.Data ?? []).toString('utf8')) as TelemetryEvent);
  }

  it('answers 200 with an empty ExportTraceServiceResponse and puts one event per span, from protobuf or JSON alike', async () => {
    const sdkSpans = await spans(4);
    const proto = Buffer.from(ProtobufTraceSerializer.serializeRequest(sdkSpans) ?? new Uint8Array());
    const json = Buffer.from(JsonTraceSerializer.serializeRequest(sdkSpans) ?? new Uint8Array()).toString('utf8');
    const before = (await readAllRecords(kinesis, stream)).length;

    const fromProto = await handler(
      otlpRequest('/v1/traces', proto, {
        authorization: `Bearer ${API_KEY}`,
        'content-type': 'application/x-protobuf',
      }),
      lambdaContext(),
    );
    expect(fromProto.statusCode).toBe(200);
    expect(fromProto.headers?.['content-type']).toBe('application/x-protobuf');
    expect(bodyOf(fromProto).length).toBe(0);
    const protoEvents = await putEvents(before);

    const fromJson = await handler(
      otlpRequest('/v1/traces', json, { 'x-api-key': API_KEY, 'content-type': 'application/json' }),
      lambdaContext(),
    );
    expect(fromJson.statusCode).toBe(200);
    expect(fromJson.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(fromJson.body ?? '')).toEqual({});
    const jsonEvents = await putEvents(before + protoEvents.length);

    expect(protoEvents).toHaveLength(4);
    const comparable = (events: TelemetryEvent[]) => events.map(({ receivedAt: _r, ...rest }) => rest);
    expect(comparable(jsonEvents)).toEqual(comparable(protoEvents));
    expect(protoEvents.map((e) => e.payload.spanId)).toEqual(sdkSpans.map((s) => s.spanContext().spanId));
    // Spans are partitioned by trace id, not by source: one service's request spreads over the shards.
    const records = (await readAllRecords(kinesis, stream)).slice(before, before + 4);
    expect(records.map((r) => r.PartitionKey)).toEqual(sdkSpans.map((s) => s.spanContext().traceId));
  });

  it('answers 200 to an empty protobuf request (zero bytes are a valid, empty export request)', async () => {
    const answer = await handler(
      otlpRequest('/v1/metrics', Buffer.alloc(0), { 'x-api-key': API_KEY, 'content-type': 'application/x-protobuf' }),
      lambdaContext(),
    );
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer).length).toBe(0);
  });

  it('answers 413 before building events when the resource, copied into every event, would grow past the limit', async () => {
    const request = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'blob', value: { stringValue: 'x'.repeat(100_000) } }] },
          scopeLogs: [
            {
              scope: {},
              logRecords: Array.from({ length: 200 }, (_, i) => ({
                timeUnixNano: `${1_714_564_800 + i}000000000`,
                body: { stringValue: `r${i}` },
              })),
            },
          ],
        },
      ],
    };
    const before = (await readAllRecords(kinesis, stream)).length;
    const answer = await handler(
      otlpRequest('/v1/logs', JSON.stringify(request), { 'x-api-key': API_KEY, 'content-type': 'application/json' }),
      lambdaContext(),
    );
    expect(answer.statusCode).toBe(413);
    expect(JSON.parse(answer.body ?? '')).toEqual({
      code: 8,
      message: expect.stringMatching(/send fewer items per request/),
    });
    expect(await readAllRecords(kinesis, stream)).toHaveLength(before);
  });

  it('takes a gzip body, and answers partial_success for the items it refuses (which are not put)', async () => {
    const sdkSpans = await spans(2);
    const request = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(sdkSpans) ?? []).toString('utf8')) as {
      resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
    };
    const first = request.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    if (first) first.traceId = '';
    const before = (await readAllRecords(kinesis, stream)).length;
    const answer = await handler(
      otlpRequest('/v1/traces', gzipSync(JSON.stringify(request)), {
        'x-api-key': API_KEY,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      }),
      lambdaContext(),
    );
    expect(answer.statusCode).toBe(200);
    const body = JSON.parse(answer.body ?? '') as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/item 0: .*traceId/);
    expect(await putEvents(before)).toHaveLength(1);

    // The same refusal asked in protobuf: the response decodes with the SDK's own parser.
    const protoRequest = Buffer.from(ProtobufTraceSerializer.serializeRequest(sdkSpans) ?? []);
    // Span 0's trace id (field 1 of the first span) zeroed in place: 16 bytes of 0 are "no trace id".
    const traceId = protoRequest.indexOf(Buffer.from(sdkSpans[0]?.spanContext().traceId ?? '', 'hex'));
    protoRequest.fill(0, traceId, traceId + 16);
    const proto = await handler(
      otlpRequest('/v1/traces', protoRequest, { 'x-api-key': API_KEY, 'content-type': 'application/x-protobuf' }),
      lambdaContext(),
    );
    expect(proto.statusCode).toBe(200);
    expect(ProtobufTraceSerializer.deserializeResponse(bodyOf(proto))).toMatchObject({
      partialSuccess: { rejectedSpans: 1 },
    });
  });

  it.each([
    ['no key', {}, 401, 16],
    ['a wrong Bearer key', { authorization: 'Bearer nope' }, 401, 16],
    ['text/plain', { 'x-api-key': API_KEY, 'content-type': 'text/plain' }, 415, 12],
  ])('refuses %s with a google.rpc.Status', async (_name, headers, status, code) => {
    const answer = await handler(
      otlpRequest('/v1/logs', '{}', { 'content-type': 'application/json', ...headers }),
      lambdaContext(),
    );
    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(answer.body ?? '')).toEqual({ code, message: expect.any(String) });
  });

  it('answers 413 over the size limit and 400 for a body that is not an export request, in protobuf when asked in protobuf', async () => {
    const tooBig = await handler(
      otlpRequest('/v1/traces', Buffer.alloc(5 * 1024 * 1024 + 1), {
        'x-api-key': API_KEY,
        'content-type': 'application/x-protobuf',
      }),
      lambdaContext(),
    );
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.headers?.['content-type']).toBe('application/x-protobuf');
    expect(rpcStatus(bodyOf(tooBig))).toMatchObject({ code: 8 });

    const garbage = await handler(
      otlpRequest('/v1/traces', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), {
        'x-api-key': API_KEY,
        'content-type': 'application/x-protobuf',
      }),
      lambdaContext(),
    );
    expect(garbage.statusCode).toBe(400);
    expect(rpcStatus(bodyOf(garbage))).toMatchObject({
      code: 3,
      message: expect.stringMatching(/not a valid export request/),
    });
  });

  it('answers 503 with Retry-After when the stream does not take the events, and a resend stores nothing twice', async () => {
    const sdkSpans = await spans(3, 'retried');
    const proto = Buffer.from(ProtobufTraceSerializer.serializeRequest(sdkSpans) ?? []);
    const request = (): APIGatewayProxyEventV2 =>
      otlpRequest('/v1/traces', proto, { 'x-api-key': API_KEY, 'content-type': 'application/x-protobuf' });
    const before = (await readAllRecords(kinesis, stream)).length;
    throttle.on = true;
    const refused = await throttled(request(), lambdaContext(3_000));
    throttle.on = false;
    expect(refused.statusCode).toBe(503);
    expect(refused.headers?.['retry-after']).toBe('2');
    expect(rpcStatus(bodyOf(refused))).toMatchObject({ code: 14 });
    const resent = await throttled(request(), lambdaContext());
    expect(resent.statusCode).toBe(200);
    const events = await putEvents(before);
    // The ids are the spans' own (trace and span id, scoped to the key): a resend repeats them.
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3);
  });

  it('never answers a 5xx to malformed, truncated or hostile bodies (fast-check)', async () => {
    const real = Buffer.from(ProtobufTraceSerializer.serializeRequest(await spans(3)) ?? []);
    const mutated = fc
      .tuple(fc.nat({ max: real.length - 1 }), fc.nat({ max: 255 }), fc.nat({ max: real.length }))
      .map(([at, byte, cut]) => {
        const copy = Buffer.from(real);
        copy[at] = byte;
        return copy.subarray(0, Math.max(1, cut));
      });
    const bodies = fc.oneof(
      mutated,
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom('application/x-protobuf', 'application/json'), async (body, type) => {
        const answer = await handler(
          otlpRequest('/v1/traces', body, { 'x-api-key': API_KEY, 'content-type': type }),
          lambdaContext(),
        );
        expect(answer.statusCode).toBeLessThan(500);
        expect(answer.headers?.['content-type']).toBe(type);
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});
