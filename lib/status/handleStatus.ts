/**
 * `GET /telemetry/{eventId}`: the status monitor a 202 from ingest points at. 200 with the event once
 * the consumer has stored it, 202 with Retry-After while it has not (it is on its way, or it was
 * dead-lettered: the pipeline cannot tell those apart from here). Every outcome is a JSON answer.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiKeyMatches } from '../auth/apiKey';
import { requestApiKey } from '../auth/requestKey';
import { errorMessage } from '../errors';
import { jsonAnswer, type HttpAnswer } from '../http/answer';
import { errorAnswer } from '../http/errorAnswer';
import type { Observability } from '../lambda/observability';
import { UUID_PATTERN } from '../telemetry/event';
import type { Queryable } from '../db/queryable';
import { findStoredEvent } from './storedEvent';

export interface StatusDeps extends Observability {
  db: Queryable;
  apiKeyHashes: readonly Buffer[];
}

/** Seconds a client is asked to wait before asking again about a pending event. */
export const PENDING_RETRY_AFTER_SECONDS = 1;
/** Seconds a client is asked to wait when the database cannot answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * @example
 * const answer = await handleStatus(event, { db, apiKeyHashes, logger, metrics });
 */
export async function handleStatus(event: APIGatewayProxyEventV2, deps: StatusDeps): Promise<HttpAnswer> {
  const { logger, metrics } = deps;
  if (!apiKeyMatches(requestApiKey(event), deps.apiKeyHashes)) {
    return errorAnswer({
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'a valid API key is required in the x-api-key header (or Authorization: Bearer <key>)',
    });
  }
  const eventId = event.pathParameters?.eventId ?? '';
  if (!UUID_PATTERN.test(eventId)) {
    return errorAnswer({ status: 400, code: 'INVALID_EVENT_ID', message: 'the event id must be a UUID' });
  }
  try {
    const stored = await findStoredEvent(deps.db, eventId.toLowerCase());
    metrics.addMetric(stored ? 'StatusStored' : 'StatusPending', MetricUnit.Count, 1);
    if (stored) return jsonAnswer(200, { status: 'stored', event: stored });
    return jsonAnswer(
      202,
      { status: 'pending', eventId: eventId.toLowerCase() },
      { 'retry-after': String(PENDING_RETRY_AFTER_SECONDS), 'cache-control': 'no-store' },
    );
  } catch (error) {
    logger.error('status lookup failed', { error: errorMessage(error), code: (error as { code?: unknown }).code });
    metrics.addMetric('StatusDatabaseErrors', MetricUnit.Count, 1);
    return errorAnswer({
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'the event store cannot be reached; ask again later',
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    });
  }
}
