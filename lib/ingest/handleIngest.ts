/**
 * `POST /telemetry`: authenticate, read, parse, validate, put, answer. Each step that can refuse the
 * request does so before the next step's work: the key before the body is touched, header checks
 * before the body is decoded, sizes before decompressing or parsing, every per-item check before
 * anything is put. Every outcome is a JSON answer; nothing here throws.
 *
 * What happens to the items of a request, by outcome:
 * - 4xx: nothing was put; the client must fix the request.
 * - 202: every accepted item is on the stream; `rejected` items were not put.
 * - 503: `accepted` items are on the stream (they will be processed), `notAccepted` ones are not
 *   (or not certainly: a call abandoned at the deadline may have landed, and a resend with the same
 *   eventIds is then deduplicated by the consumer).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authenticate } from '../auth/authenticate';
import type { KeyStore } from '../auth/keyStore';
import { errorMessage } from '../errors';
import type { HttpAnswer } from '../http/answer';
import { errorAnswer, type HttpFailure } from '../http/errorAnswer';
import { headerValue } from '../http/headers';
import type { AdaptiveLimit } from '../kinesis/adaptiveLimit';
import { putRecordsConcurrently } from '../kinesis/putConcurrently';
import type { PutRecordsOptions } from '../kinesis/putRecords';
import type { Observability } from '../lambda/observability';
import { acceptedAnswer, noValidEvents, streamUnavailable, type NotAccepted } from './answers';
import { bodyEncoding } from './bodyEncoding';
import { bodyFormat } from './bodyFormat';
import type { IngestConfig } from './config';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './limits';
import { parseItems } from './parseItems';
import { prepareEvents, type PreparedEvent } from './prepareEvents';
import { readBody } from './readBody';
import { recordRequest } from './requestMetrics';

export interface IngestDeps extends Observability {
  kinesis: KinesisClient;
  config: IngestConfig;
  /** The API keys (lib/auth/keyStore.ts): who may send, and for which tenant. */
  keys: KeyStore;
  /** The container's PutRecords calls in flight, kept from request to request (lib/kinesis/adaptiveLimit.ts). */
  putLimit?: AdaptiveLimit;
  /** Backoff settings passed to the write path (tests shorten them). */
  putOptions?: Pick<PutRecordsOptions, 'retry'>;
  now?: () => number;
}

/** What one request did, for the log line and the metrics. */
interface IngestSummary {
  status: number;
  code?: string;
  /** The sender's key id and tenant, once its key matched (never the key). */
  keyId?: string;
  tenant?: string;
  receivedBytes: number;
  accepted: number;
  rejected: number;
  notAccepted: number;
  putCalls: number;
  retryRounds: number;
  retriedEntries: number;
}

function emptySummary(status: number): IngestSummary {
  return {
    status,
    receivedBytes: 0,
    accepted: 0,
    rejected: 0,
    notAccepted: 0,
    putCalls: 0,
    retryRounds: 0,
    retriedEntries: 0,
  };
}

function refuse(
  failure: HttpFailure,
  summary: Partial<IngestSummary> = {},
): { answer: HttpAnswer; summary: IngestSummary } {
  return { answer: errorAnswer(failure), summary: { ...emptySummary(failure.status), ...summary, code: failure.code } };
}

async function ingest(
  event: APIGatewayProxyEventV2,
  deadline: number,
  deps: IngestDeps,
): Promise<{ answer: HttpAnswer; summary: IngestSummary }> {
  const { config } = deps;
  const auth = await authenticate(event, deps.keys);
  if (!auth.ok) return refuse(auth.failure);
  const { keyId, tenant } = auth.caller;
  const caller = { keyId, tenant };

  const format = bodyFormat(headerValue(event, 'content-type'));
  if (!format.ok) return refuse(format.failure, caller);
  const encoding = bodyEncoding(headerValue(event, 'content-encoding'));
  if (!encoding.ok) return refuse(encoding.failure, caller);
  const idempotencyKey = headerValue(event, 'idempotency-key')?.trim() || undefined;
  if (idempotencyKey !== undefined && idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return refuse(
      {
        status: 400,
        code: 'INVALID_IDEMPOTENCY_KEY',
        message: `the Idempotency-Key header is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
      },
      caller,
    );
  }

  const body = await readBody(event, encoding.encoding, config.maxBodyBytes);
  const receivedBytes = body.receivedBytes;
  if (!body.ok) return refuse(body.failure, { ...caller, receivedBytes });
  const parsed = parseItems(body.bytes, format.format, config.maxEventsPerRequest);
  if (!parsed.ok) return refuse(parsed.failure, { ...caller, receivedBytes });

  const receivedAt = new Date((deps.now ?? Date.now)()).toISOString();
  // Derived ids are scoped to the tenant, not to one key: a resend with the key that replaced a
  // rotated one gets the same ids (and is deduplicated). Event ids are unique per tenant only
  // (migrations/003), so two tenants that use the same Idempotency-Key keep both their events.
  const scopedKey = idempotencyKey === undefined ? undefined : `tenant:${tenant}:${idempotencyKey}`;
  const { prepared, rejected } = prepareEvents(parsed.items, { tenant, idempotencyKey: scopedKey, receivedAt });
  if (prepared.length === 0)
    return refuse(noValidEvents(rejected), { ...caller, receivedBytes, rejected: rejected.length });

  let retryRounds = 0;
  const put = await putRecordsConcurrently(
    deps.kinesis,
    prepared.map((item) => item.record),
    {
      ...deps.putOptions,
      // Side by side only when the request needs more than one call (lib/kinesis/putConcurrently.ts).
      concurrency: deps.putLimit?.max ?? config.putConcurrency,
      ...(deps.putLimit ? { limit: deps.putLimit } : {}),
      stream: config.stream,
      deadline,
      onRetry: (retry) => {
        retryRounds += 1;
        deps.logger.warn('retrying PutRecords entries', { ...retry });
      },
    },
  );
  const summary: IngestSummary = {
    ...emptySummary(202),
    ...caller,
    receivedBytes,
    rejected: rejected.length,
    putCalls: put.calls,
    retryRounds,
    retriedEntries: put.retriedEntries,
  };
  if (put.failed.length === 0) {
    return { answer: acceptedAnswer(prepared, rejected), summary: { ...summary, accepted: prepared.length } };
  }

  const failedAt = new Set(put.failed.map((failure) => failure.index));
  const onStream = prepared.filter((_item, position) => !failedAt.has(position));
  const notAccepted: NotAccepted[] = put.failed.map((failure) => {
    const item = prepared[failure.index] as PreparedEvent;
    return { index: item.index, eventId: item.event.eventId, code: failure.code, error: failure.message };
  });
  const failure = streamUnavailable(onStream, notAccepted, rejected);
  return {
    answer: errorAnswer(failure),
    summary: {
      ...summary,
      status: 503,
      code: failure.code,
      accepted: onStream.length,
      notAccepted: notAccepted.length,
    },
  };
}

/**
 * Handles one `POST /telemetry` API Gateway v2 event; `deadline` (epoch ms) bounds the time spent
 * putting records (see `ingestDeadline`). Adds metrics to `deps.metrics`; the caller publishes them.
 *
 * @example
 * const answer = await handleIngest(event, ingestDeadline(context.getRemainingTimeInMillis()), { kinesis, config, logger, metrics });
 */
export async function handleIngest(
  event: APIGatewayProxyEventV2,
  deadline: number,
  deps: IngestDeps,
): Promise<HttpAnswer> {
  try {
    const { answer, summary } = await ingest(event, deadline, deps);
    recordRequest(deps, 'ingest request', summary);
    return answer;
  } catch (error) {
    // Unreachable by design: every step returns its failures. Should a bug get here, the client
    // still gets JSON, nothing was reported as accepted, and the log says where it went wrong.
    deps.logger.error('ingest failed unexpectedly', {
      error: errorMessage(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    deps.metrics.addMetric('IngestErrors', MetricUnit.Count, 1);
    return errorAnswer({
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'ingest failed unexpectedly; nothing in this request is known to be accepted',
    });
  }
}
