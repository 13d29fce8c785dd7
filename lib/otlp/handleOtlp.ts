/**
 * `POST /v1/traces`, `/v1/logs`, `/v1/metrics`: OTLP/HTTP in, events on the stream, an OTLP answer
 * out. The same steps, limits and write path as `POST /telemetry` (lib/ingest/handleIngest.ts): the
 * key before the body, sizes before decompressing, every item checked before anything is put.
 *
 * What happens to the items of a request, by answer (what OTLP clients do with each):
 * - 400, 401, 413, 415: nothing was put; not retried.
 * - 200: every item is on the stream but the `partial_success.rejected` ones, which are not (not retried).
 * - 503 + Retry-After: some items may be on the stream, others not. The client resends the whole
 *   request; each item's id is derived from its content and the caller's key (lib/otlp/toItems.ts),
 *   so what was already put is stored once.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authenticate } from '../auth/authenticate';
import { errorMessage } from '../errors';
import type { HttpAnswer } from '../http/answer';
import { headerValue } from '../http/headers';
import { bodyEncoding } from '../ingest/bodyEncoding';
import type { IngestDeps } from '../ingest/handleIngest';
import { STREAM_RETRY_AFTER_SECONDS } from '../ingest/limits';
import { prepareEvents, type ItemRejection } from '../ingest/prepareEvents';
import { readBody } from '../ingest/readBody';
import { recordRequest } from '../ingest/requestMetrics';
import { putRecordsConcurrently } from '../kinesis/putConcurrently';
import type { TelemetryEvent } from '../telemetry/event';
import { otlpFailure, otlpSuccess, RPC_CODE } from './answers';
import { OTLP_CONTENT_TYPES, otlpEncoding, type OtlpEncoding } from './encoding';
import { decodeOtlpJson } from './json/decode';
import { DEFAULT_DECODE_LIMITS, type OtlpSignal } from './model';
import { decodeOtlpProtobuf } from './protobuf/decode';
import { otlpItems, sharedBytes } from './toItems';

const SIGNALS: Readonly<Record<string, OtlpSignal>> = {
  '/v1/traces': 'traces',
  '/v1/logs': 'logs',
  '/v1/metrics': 'metrics',
};
/** How many refusal reasons the partial-success message quotes. */
const QUOTED_REJECTIONS = 3;
/**
 * Most bytes of resource and scope the events of one request may carry in all (each event holds its
 * own copy, lib/otlp/toItems.ts): bounds the memory a request can grow to, and the time its put
 * takes. Over it, 413: send fewer items per request.
 */
export const MAX_SHARED_BYTES = 16 * 1024 * 1024;

interface OtlpSummary {
  signal: OtlpSignal | undefined;
  status: number;
  /** The sender's key id and tenant, once its key matched (never the key). */
  keyId?: string;
  tenant?: string;
  code?: string;
  encoding?: OtlpEncoding;
  receivedBytes: number;
  items: number;
  accepted: number;
  rejected: number;
  notAccepted: number;
  retryRounds?: number;
  retriedEntries?: number;
  error?: string;
}

/**
 * The signal an OTLP route serves: from the route key API Gateway matched (a custom domain's base
 * path does not change it), else the request path.
 *
 * @example
 * otlpSignal({ routeKey: 'POST /v1/traces', rawPath: '/v1/traces' }); // 'traces'
 */
export function otlpSignal(event: Pick<APIGatewayProxyEventV2, 'routeKey' | 'rawPath'>): OtlpSignal | undefined {
  const routed = /^POST (\/v1\/\w+)$/.exec(event.routeKey ?? '')?.[1];
  return SIGNALS[routed ?? event.rawPath ?? ''];
}

/**
 * Where an OTLP event goes on the stream: a span by its trace id (a trace stays on one shard), a
 * log record or data point by its id. Not by source as /telemetry does: one service's whole request
 * on one shard (1 MB/s) could not be put before the deadline, and OTLP events need no order per source.
 */
function otlpPartitionKey(event: TelemetryEvent): string {
  const traceId = event.payload.traceId;
  return event.type === 'span' && typeof traceId === 'string' && traceId !== '' ? traceId : event.eventId;
}

function rejectionMessage(rejected: readonly ItemRejection[]): string {
  const quoted = rejected.slice(0, QUOTED_REJECTIONS).map((item) => `item ${item.index}: ${item.error}`);
  const more = rejected.length > QUOTED_REJECTIONS ? `; and ${rejected.length - QUOTED_REJECTIONS} more` : '';
  return `${rejected.length} refused: ${quoted.join('; ')}${more}`;
}

async function exportItems(
  event: APIGatewayProxyEventV2,
  signal: OtlpSignal,
  deadline: number,
  deps: IngestDeps,
): Promise<{ answer: HttpAnswer; summary: OtlpSummary }> {
  let base: OtlpSummary = { signal, status: 0, receivedBytes: 0, items: 0, accepted: 0, rejected: 0, notAccepted: 0 };
  // Before the content type is known, errors are answered in JSON.
  const requested = otlpEncoding(headerValue(event, 'content-type'));
  const fail = (status: number, code: number, message: string, extra: Partial<OtlpSummary> = {}) => ({
    answer: otlpFailure(status, code, message, requested ?? 'json'),
    summary: { ...base, ...extra, status, error: message },
  });

  const auth = await authenticate(event, deps.keys);
  if (!auth.ok) {
    const { status, message, retryAfterSeconds } = auth.failure;
    if (status === 503)
      return {
        answer: otlpFailure(status, RPC_CODE.UNAVAILABLE, message, requested ?? 'json', retryAfterSeconds),
        summary: { ...base, status, code: auth.failure.code, error: message },
      };
    return fail(401, RPC_CODE.UNAUTHENTICATED, `${message} (Authorization: Bearer <key>, or x-api-key)`);
  }
  const { tenant } = auth.caller;
  base = { ...base, keyId: auth.caller.keyId, tenant };
  if (!requested)
    return fail(
      415,
      RPC_CODE.UNIMPLEMENTED,
      `send ${OTLP_CONTENT_TYPES.protobuf} or ${OTLP_CONTENT_TYPES.json}, not ${JSON.stringify(headerValue(event, 'content-type') ?? '')}`,
    );
  const encoding = bodyEncoding(headerValue(event, 'content-encoding'));
  if (!encoding.ok) return fail(415, RPC_CODE.UNIMPLEMENTED, encoding.failure.message);
  const body = await readBody(event, encoding.encoding, deps.config.maxBodyBytes);
  const receivedBytes = body.receivedBytes;
  // Zero bytes are a valid, empty export request in protobuf (and an exporter may send one).
  if (!body.ok && body.failure.code === 'EMPTY_BODY' && requested === 'protobuf')
    return { answer: otlpSuccess(signal, requested), summary: { ...base, status: 200, encoding: requested } };
  if (!body.ok)
    return fail(
      body.failure.status,
      body.failure.status === 413 ? RPC_CODE.RESOURCE_EXHAUSTED : RPC_CODE.INVALID_ARGUMENT,
      body.failure.message,
      { receivedBytes },
    );

  const limits = { ...DEFAULT_DECODE_LIMITS, maxItems: deps.config.maxEventsPerRequest };
  const decoded =
    requested === 'protobuf'
      ? decodeOtlpProtobuf(body.bytes, signal, limits)
      : decodeOtlpJson(body.bytes, signal, limits);
  if (!decoded.ok)
    return fail(
      400,
      RPC_CODE.INVALID_ARGUMENT,
      `the ${requested === 'json' ? 'JSON' : 'protobuf'} body is not a valid export request: ${decoded.message}`,
      {
        receivedBytes,
      },
    );

  const shared = sharedBytes(decoded.request);
  if (shared > MAX_SHARED_BYTES)
    return fail(
      413,
      RPC_CODE.RESOURCE_EXHAUSTED,
      `each event carries its resource and scope attributes: here ${Math.round(shared / 1024 / 1024)} MiB in all, over the ${MAX_SHARED_BYTES / 1024 / 1024} MiB a request may expand to; send fewer items per request`,
      { receivedBytes },
    );
  // Content ids are scoped to the tenant (not the key): an exporter's resend after a key rotation
  // still deduplicates, and two tenants' spans with the same ids stay two events.
  const items = otlpItems(decoded.request, { idScope: `tenant:${tenant}` });
  const receivedAt = new Date((deps.now ?? Date.now)()).toISOString();
  const { prepared, rejected } = prepareEvents(items, {
    tenant,
    idempotencyKey: undefined,
    receivedAt,
    partitionKey: otlpPartitionKey,
  });
  const counted: OtlpSummary = {
    ...base,
    encoding: requested,
    receivedBytes,
    items: items.length,
    rejected: rejected.length,
  };
  const partial =
    rejected.length > 0 ? { rejected: rejected.length, errorMessage: rejectionMessage(rejected) } : undefined;
  if (prepared.length === 0)
    return { answer: otlpSuccess(signal, requested, partial), summary: { ...counted, status: 200 } };

  let retryRounds = 0;
  const put = await putRecordsConcurrently(
    deps.kinesis,
    prepared.map((item) => item.record),
    {
      ...deps.putOptions,
      // Side by side only when the request needs more than one call (lib/kinesis/putConcurrently.ts).
      concurrency: deps.putLimit?.max ?? deps.config.putConcurrency,
      ...(deps.putLimit ? { limit: deps.putLimit } : {}),
      stream: deps.config.stream,
      deadline,
      onRetry: (retry) => {
        retryRounds += 1;
        deps.logger.warn('retrying PutRecords entries', { ...retry });
      },
    },
  );
  counted.retryRounds = retryRounds;
  counted.retriedEntries = put.retriedEntries;
  if (put.failed.length === 0) {
    return {
      answer: otlpSuccess(signal, requested, partial),
      summary: { ...counted, status: 200, accepted: prepared.length },
    };
  }
  const message = `the stream did not take ${put.failed.length} of ${prepared.length} items in time (${put.failed[0]?.code}): send the request again after Retry-After; items already taken are stored once`;
  return {
    answer: otlpFailure(503, RPC_CODE.UNAVAILABLE, message, requested, STREAM_RETRY_AFTER_SECONDS),
    summary: {
      ...counted,
      status: 503,
      accepted: prepared.length - put.failed.length,
      notAccepted: put.failed.length,
      error: message,
    },
  };
}

/**
 * Handles one OTLP/HTTP export. `deadline` (epoch ms) bounds the time spent putting records.
 *
 * @example
 * const answer = await handleOtlp(event, 'traces', ingestDeadline(context.getRemainingTimeInMillis()), deps);
 */
export async function handleOtlp(
  event: APIGatewayProxyEventV2,
  signal: OtlpSignal,
  deadline: number,
  deps: IngestDeps,
): Promise<HttpAnswer> {
  try {
    const { answer, summary } = await exportItems(event, signal, deadline, deps);
    recordRequest(deps, 'otlp request', summary);
    return answer;
  } catch (error) {
    // Unreachable by design, as in handleIngest: the client still gets an OTLP status, and a 500,
    // which OTLP clients do not retry blindly; nothing in the request is known to be accepted.
    deps.logger.error('otlp failed unexpectedly', {
      error: errorMessage(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    deps.metrics.addMetric('IngestErrors', MetricUnit.Count, 1);
    const encoding = otlpEncoding(headerValue(event, 'content-type')) ?? 'json';
    return otlpFailure(500, RPC_CODE.INTERNAL, 'the receiver failed unexpectedly', encoding);
  }
}
