/**
 * A real OpenTelemetry client, in its own process: the JS SDK with its OTLP/HTTP exporter sends
 * spans or log records to a URL and prints what it sent (as JSON on stdout). Its own process
 * because the exporters load parts of themselves with dynamic `import()`, which jest's CommonJS
 * sandbox refuses; over HTTP, nothing differs from an application using the SDK.
 *
 * argv[2]: JSON `SendRequest`. Exit 0 when the export succeeded (after the exporter's own retries), 1 when not.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogExporterHttp } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterHttp } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface SendRequest {
  signal: 'traces' | 'logs';
  protocol: 'proto' | 'http';
  url: string;
  apiKey: string;
  service: string;
  count: number;
  marker: string;
}

export interface SendResult {
  ok: boolean;
  error?: string;
  /** traces: span ids (hex); logs: bodies. */
  ids: string[];
  traceIds: string[];
}

async function sendSpans(request: SendRequest): Promise<SendResult> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': request.service, 'deployment.environment': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('test-scope', '1.2.3');
  for (let i = 0; i < request.count; i += 1) {
    const span = tracer.startSpan(`GET /cart/${i}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.status_code': 200 + i, retried: i === 2, tags: ['a', 'b'], marker: request.marker },
      startTime: new Date(Date.now() - 250),
    });
    if (i === 1) span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  const options = { url: request.url, headers: { Authorization: `Bearer ${request.apiKey}` } };
  const exporter =
    request.protocol === 'proto' ? new OTLPTraceExporterProto(options) : new OTLPTraceExporterHttp(options);
  // One export of them all: a retry after a 503 resends the whole request, as in an application.
  const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
    exporter.export(spans, resolve),
  );
  await exporter.shutdown();
  return {
    ok: result.code === ExportResultCode.SUCCESS,
    ...(result.error ? { error: result.error.message } : {}),
    ids: spans.map((span) => span.spanContext().spanId),
    traceIds: spans.map((span) => span.spanContext().traceId),
  };
}

async function sendLogs(request: SendRequest): Promise<SendResult> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': request.service }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const bodies = Array.from({ length: request.count }, (_, i) => `cold start ${i} ${request.marker}`);
  for (const body of bodies) {
    provider.getLogger('test-logs').emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body,
      attributes: { marker: request.marker, 'faas.coldstart': true },
    });
  }
  await provider.forceFlush();
  const records = memory.getFinishedLogRecords();
  const options = { url: request.url, headers: { Authorization: `Bearer ${request.apiKey}` } };
  const exporter = request.protocol === 'proto' ? new OTLPLogExporterProto(options) : new OTLPLogExporterHttp(options);
  const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
    exporter.export(records, resolve),
  );
  await exporter.shutdown();
  return {
    ok: result.code === ExportResultCode.SUCCESS,
    ...(result.error ? { error: result.error.message } : {}),
    ids: bodies,
    traceIds: [],
  };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as SendRequest;
  const result = request.signal === 'traces' ? await sendSpans(request) : await sendLogs(request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

void main();
