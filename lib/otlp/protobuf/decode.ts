/**
 * `application/x-protobuf` OTLP/HTTP bodies to the decoded request model (`../model.ts`), the same
 * model the JSON decoder produces. Hand-written over a bounded wire reader rather than a protobuf
 * library: it ships in the `ingest` bundle, and it refuses hostile input (lengths past the body,
 * endless varints, deep nesting, too many items or messages, invalid UTF-8, malformed ids) before
 * allocating.
 */
import { errorMessage } from '../../errors';
import {
  DEFAULT_DECODE_LIMITS,
  type OtlpDecodeLimits,
  type OtlpDecodeResult,
  type OtlpRequest,
  type OtlpSignal,
} from '../model';
import { EXPORT_LOGS_SERVICE_REQUEST } from './logs';
import type { MessageSpec } from './messageSpec';
import { readMessage } from './messageSpec';
import { EXPORT_METRICS_SERVICE_REQUEST } from './metrics';
import { EXPORT_TRACE_SERVICE_REQUEST } from './traces';
import { ProtobufDecodeError, WireReader } from './wireReader';

const REQUESTS: Readonly<Record<OtlpSignal, MessageSpec>> = {
  traces: EXPORT_TRACE_SERVICE_REQUEST,
  logs: EXPORT_LOGS_SERVICE_REQUEST,
  metrics: EXPORT_METRICS_SERVICE_REQUEST,
};

/** The decoded request of one signal. */
export type OtlpRequestOf<S extends OtlpSignal> = Extract<OtlpRequest, { signal: S }>;

/**
 * Decodes an `Export{Trace,Logs,Metrics}ServiceRequest` body. Never throws: a body that is not a
 * well-formed request of `signal`, or exceeds `limits`, gives `{ ok: false, message }` with the
 * field path and byte offset of the first problem (answered 400, which OTLP clients do not retry).
 * An empty body is a valid, empty request.
 *
 * @example
 * const result = decodeOtlpProtobuf(body, 'traces');
 * if (!result.ok) return badRequest(result.message);
 * // e.g. 'resourceSpans[0].scopeSpans[0].spans[2].traceId: 12 bytes, not 16 (at byte 180)'
 * for (const { scopeSpans } of result.request.resourceSpans) ...
 */
export function decodeOtlpProtobuf<S extends OtlpSignal>(
  bytes: Uint8Array,
  signal: S,
  limits: OtlpDecodeLimits = DEFAULT_DECODE_LIMITS,
): OtlpDecodeResult<OtlpRequestOf<S>> {
  const spec = REQUESTS[signal];
  if (spec === undefined) return { ok: false, message: `unknown OTLP signal ${JSON.stringify(signal)}` };
  try {
    const request = spec.create();
    readMessage(new WireReader(bytes), spec, request, { limits, items: 0, messages: 0 });
    // The specs build exactly the model's shapes; the tests decode real SDK bodies to hold them to it.
    return { ok: true, request: request as unknown as OtlpRequestOf<S> };
  } catch (error) {
    return { ok: false, message: failureMessage(error) };
  }
}

function failureMessage(error: unknown): string {
  // Anything else (a stack overflow under absurd limits, a bug) is still the body's 400, not a crash.
  if (!(error instanceof ProtobufDecodeError)) return `undecodable protobuf body: ${errorMessage(error)}`;
  const path = error.path.reduce(
    (joined, segment) => (segment.startsWith('[') || joined === '' ? joined + segment : `${joined}.${segment}`),
    '',
  );
  return path === '' ? error.message : `${path}: ${error.message}`;
}
