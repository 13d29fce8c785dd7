/**
 * OTLP/HTTP `application/json` bodies → the decoded request (lib/otlp/model.ts), the same model the
 * protobuf decoder produces. OTLP/JSON is proto3's JSON mapping with OTLP's deviations
 * (opentelemetry-proto docs/specification.md, "JSON Protobuf Encoding"): hex trace and span ids,
 * lowerCamelCase keys only, unknown fields ignored; int64 as a number or a decimal string. What
 * this reads beyond the letter of it, and why, is said where it is read (read.ts: enum names,
 * doubles as strings, null as absent).
 */
import { errorMessage, isPlainObject } from '../../errors';
import {
  DEFAULT_DECODE_LIMITS,
  type OtlpDecodeLimits,
  type OtlpDecodeResult,
  type OtlpRequest,
  type OtlpResource,
  type OtlpScope,
  type OtlpSignal,
} from '../model';
import { logRecords, metrics, resource, scope, spans } from './messages';
import { type JsonObject, messages, nonDefault, OtlpJsonError, string, type Walk } from './read';

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Envelope<T> {
  resource: OtlpResource;
  schemaUrl?: string;
  scopes: { scope: OtlpScope; schemaUrl?: string; items: T }[];
}

/** ResourceX → ScopeX → items: the same two levels for every signal, under the signal's names. */
function envelopes<T>(
  root: JsonObject,
  names: readonly [resources: string, scopes: string, items: string],
  walk: Walk,
  read: (value: unknown, at: string, walk: Walk) => T,
): Envelope<T>[] {
  const [resources, scopes, items] = names;
  return messages(root[resources], '', resources, walk, (r, at) => ({
    resource: resource(r.resource, at, walk),
    ...nonDefault({ schemaUrl: string(r.schemaUrl, at, 'schemaUrl') }),
    scopes: messages(r[scopes], at, scopes, walk, (s, scopeAt) => ({
      scope: scope(s.scope, scopeAt, walk),
      ...nonDefault({ schemaUrl: string(s.schemaUrl, scopeAt, 'schemaUrl') }),
      items: read(s[items], scopeAt, walk),
    })),
  }));
}

function decodeRequest(root: JsonObject, signal: OtlpSignal, walk: Walk): OtlpRequest {
  switch (signal) {
    case 'traces':
      return {
        signal,
        resourceSpans: envelopes(root, ['resourceSpans', 'scopeSpans', 'spans'], walk, spans).map(
          ({ scopes, ...r }) => ({
            ...r,
            scopeSpans: scopes.map(({ items, ...s }) => ({ ...s, spans: items })),
          }),
        ),
      };
    case 'logs':
      return {
        signal,
        resourceLogs: envelopes(root, ['resourceLogs', 'scopeLogs', 'logRecords'], walk, logRecords).map(
          ({ scopes, ...r }) => ({
            ...r,
            scopeLogs: scopes.map(({ items, ...s }) => ({ ...s, logRecords: items })),
          }),
        ),
      };
    case 'metrics':
      return {
        signal,
        resourceMetrics: envelopes(root, ['resourceMetrics', 'scopeMetrics', 'metrics'], walk, metrics).map(
          ({ scopes, ...r }) => ({ ...r, scopeMetrics: scopes.map(({ items, ...s }) => ({ ...s, metrics: items })) }),
        ),
      };
  }
}

const TOP_LEVEL: Readonly<Record<OtlpSignal, string>> = {
  traces: 'resourceSpans',
  logs: 'resourceLogs',
  metrics: 'resourceMetrics',
};

/**
 * Decodes an OTLP/JSON export request for `signal`. Never throws for any input: a body that is not
 * UTF-8, not JSON, not an export request, with attribute values nested more than
 * `limits.maxValueDepth` arrays / key-value lists deep, or holding more than `limits.maxItems`
 * spans / log records / data points or more than `limits.maxMessages` embedded messages is a
 * failure whose message says where (`resourceSpans[0].scopeSpans[1].spans[3].traceId: must be 32
 * hex digits ...`).
 *
 * @example
 * const decoded = decodeOtlpJson(Buffer.from('{"resourceSpans":[]}'), 'traces');
 * // { ok: true, request: { signal: 'traces', resourceSpans: [] } }
 */
export function decodeOtlpJson(
  bytes: Uint8Array,
  signal: OtlpSignal,
  limits: OtlpDecodeLimits = DEFAULT_DECODE_LIMITS,
): OtlpDecodeResult {
  let text: string;
  try {
    // fatal: a body that is not UTF-8 is refused rather than silently altered with U+FFFD
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, message: 'the body is not UTF-8' };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `the body is not JSON: ${errorMessage(error)}` };
  }
  if (!isPlainObject(body)) return { ok: false, message: 'the body must be a JSON object (an export request)' };
  // Unknown fields are ignored (OTLP), but a body of nothing else is a sender's mistake (snake_case
  // names, or another signal's request on this path): accepting it would store nothing and say 200.
  const field = TOP_LEVEL[signal];
  const keys = Object.keys(body);
  if (keys.length > 0 && !keys.includes(field))
    return {
      ok: false,
      message: `no ${field} in the body (it has ${keys
        .slice(0, 5)
        .map((key) => JSON.stringify(key))
        .join(', ')}): OTLP/JSON uses lowerCamelCase names, and this path takes ${signal}`,
    };
  try {
    const walk: Walk = {
      maxDepth: limits.maxValueDepth,
      maxItems: limits.maxItems,
      items: 0,
      maxMessages: limits.maxMessages,
      messages: 0,
    };
    return { ok: true, request: decodeRequest(body, signal, walk) };
  } catch (error) {
    if (error instanceof OtlpJsonError) return { ok: false, message: error.message };
    // anything else is a bug in this decoder, not a bad body: let the handler answer 500 and log it
    throw error;
  }
}
