/**
 * Row 2b: one 500-span OTLP/HTTP protobuf request (bytes from the OpenTelemetry SDK's own
 * serializer) through the real ingest handler onto the stream, beside the same 500 events posted as
 * JSON to `/telemetry` through the same handler, alternating. The ratio is JSON / protobuf: above 1
 * means the OTLP path costs less than the JSON one for the same events. No target: a reference row.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { hashApiKey } from '../../lib/auth/apiKey';
import { otlpItems } from '../../lib/otlp/toItems';
import { decodeOtlpProtobuf } from '../../lib/otlp/protobuf/decode';
import { lambdaContext } from '../../emulator/src';
import { alternate } from '../alternate';
import { REGION, type BenchContext } from '../context';
import { postTelemetryEvent } from '../fixtures/apiEvent';
import type { HandlerSetup } from '../handlerEnv';
import type { IngestRowOptions } from './ingest';
import { speedup, type RowResult } from '../result';
import { summarize, timed } from '../stats';

export const OTLP_SPANS = 500;

type IngestHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** 500 spans as an application's SDK records them: attributes, a status, one event each. */
async function exportRequest(): Promise<Uint8Array> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-checkout', 'cloud.region': REGION }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  for (let i = 0; i < OTLP_SPANS; i += 1) {
    const span = tracer.startSpan(`GET /cart/${i % 20}`, {
      attributes: { 'http.status_code': 200, 'http.route': '/cart/:id', 'faas.coldstart': i % 50 === 0, index: i },
    });
    span.addEvent('cache.miss', { key: `cart-${i}` });
    span.end();
  }
  await provider.forceFlush();
  const bytes = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans());
  if (!bytes) throw new Error('the SDK serialized nothing');
  return bytes;
}

function otlpEvent(bytes: Uint8Array, apiKey: string): APIGatewayProxyEventV2 {
  const base = postTelemetryEvent('', { authorization: `Bearer ${apiKey}` });
  return {
    ...base,
    routeKey: 'POST /v1/traces',
    rawPath: '/v1/traces',
    headers: { ...base.headers, 'content-type': 'application/x-protobuf', 'content-length': String(bytes.length) },
    requestContext: { ...base.requestContext, http: { ...base.requestContext.http, path: '/v1/traces' } },
    body: Buffer.from(bytes).toString('base64'),
    isBase64Encoded: true,
  };
}

/**
 * Needs `prepareHandlerEnv` first.
 *
 * @example
 * const rows = await otlpRow(ctx, setup, { rounds: 15, warmup: 2 });
 */
export async function otlpRow(ctx: BenchContext, setup: HandlerSetup, options: IngestRowOptions): Promise<RowResult[]> {
  const { handler } = (await import('../../handlers/ingest.js')) as { handler: IngestHandler };
  const bytes = await exportRequest();
  const decoded = decodeOtlpProtobuf(bytes, 'traces');
  if (!decoded.ok) throw new Error(`the SDK's request does not decode: ${decoded.message}`);
  // The very events the OTLP path puts, as a client would post them to /telemetry.
  const items = otlpItems(decoded.request, { idScope: hashApiKey(setup.apiKey) });
  const json = JSON.stringify(items.map((item) => (item.ok ? item.value : null)));
  const context = (): Context => lambdaContext('telemetry-pipeline-bench-ingest', 29_000, REGION);

  const ours = async (): Promise<number> => {
    const event = otlpEvent(bytes, setup.apiKey);
    let result: APIGatewayProxyStructuredResultV2 | undefined;
    const ms = await timed(async () => {
      result = await handler(event, context());
    });
    // 200 with an empty response is full success in OTLP.
    if (result?.statusCode !== 200 || result.body !== '')
      throw new Error(`the OTLP route answered ${result?.statusCode}: ${result?.body?.slice(0, 300)}`);
    return ms;
  };
  const baseline = async (): Promise<number> => {
    const event = postTelemetryEvent(json, { 'x-api-key': setup.apiKey });
    let result: APIGatewayProxyStructuredResultV2 | undefined;
    const ms = await timed(async () => {
      result = await handler(event, context());
    });
    const accepted = (JSON.parse(result?.body ?? '{}') as { accepted?: number }).accepted;
    if (result?.statusCode !== 202 || accepted !== OTLP_SPANS)
      throw new Error(`/telemetry answered ${result?.statusCode}: ${result?.body?.slice(0, 300)}`);
    return ms;
  };
  const { a, b } = await alternate(ours, baseline, {
    rounds: options.rounds,
    warmup: options.warmup,
    timeLimitMs: options.timeLimitMs,
    onRound: (round, msA, msB) =>
      ctx.log(
        `otlp round ${round + 1}/${options.rounds}: protobuf ${msA.toFixed(1)} ms, same events as JSON ${msB.toFixed(1)} ms`,
      ),
  });
  const ourStats = summarize(a);
  const baseStats = summarize(b);
  return [
    {
      row: '2b',
      measure: `otlp: ${OTLP_SPANS}-span protobuf request (${(bytes.length / 1024).toFixed(0)} KiB) through the handler onto the stream | base: the same events as JSON to /telemetry`,
      unit: 'ms',
      median: ourStats.median,
      p95: ourStats.p95,
      baselineMedian: baseStats.median,
      ratio: speedup(baseStats.median, ourStats.median),
      target: 'reference',
      detail: {
        rounds: a.length,
        warmup: options.warmup,
        requestBytes: bytes.length,
        jsonBytes: Buffer.byteLength(json),
        ours: ourStats,
        baseline: baseStats,
        oursMs: a,
        baselineMs: b,
      },
    },
  ];
}
