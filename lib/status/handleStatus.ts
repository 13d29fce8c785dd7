/**
 * The read API, one function for its three routes, each answering only the caller's tenant:
 * - `GET /telemetry/{eventId}`: the status monitor a 202 from ingest points at. 200 with the event
 *   (and links to its source's previous and next events) once the consumer has stored it, 202 with
 *   Retry-After while it has not (it is on its way, dead-lettered, or another tenant's: the answer
 *   is the same, so an id says nothing about who else has it);
 * - `GET /telemetry`: a source's events, a page at a time (lib/status/handleQuery.ts);
 * - `GET /telemetry/stats`: a source's counts, errors and duration percentiles (lib/status/handleStats.ts).
 * Every outcome is a JSON answer.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authenticate } from '../auth/authenticate';
import type { Caller, KeyStore } from '../auth/keyStore';
import { errorCode, errorMessage, PipelineError } from '../errors';
import { jsonAnswer, type HttpAnswer } from '../http/answer';
import { errorAnswer } from '../http/errorAnswer';
import type { Observability } from '../lambda/observability';
import { UUID_PATTERN } from '../telemetry/event';
import type { Queryable } from '../db/queryable';
import { handleQuery } from './handleQuery';
import { handleStats } from './handleStats';
import { findStoredEvent } from './storedEvent';

export interface StatusDeps extends Observability {
  db: Queryable;
  keys: KeyStore;
  /** The cursor signing key, fetched on first use (lib/status/cursorSecret.ts). */
  cursorSecret: () => Promise<Buffer>;
  now?: () => number;
}

/** Seconds a client is asked to wait before asking again about a pending event. */
export const PENDING_RETRY_AFTER_SECONDS = 1;
/** Seconds a client is asked to wait when the database cannot answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

type Route = 'event' | 'query' | 'stats';

function routeOf(event: APIGatewayProxyEventV2): Route {
  if (event.routeKey === 'GET /telemetry') return 'query';
  if (event.routeKey === 'GET /telemetry/stats') return 'stats';
  return 'event';
}

async function eventStatus(event: APIGatewayProxyEventV2, caller: Caller, deps: StatusDeps): Promise<HttpAnswer> {
  const eventId = event.pathParameters?.eventId ?? '';
  if (!UUID_PATTERN.test(eventId)) {
    return errorAnswer({ status: 400, code: 'INVALID_EVENT_ID', message: 'the event id must be a UUID' });
  }
  const id = eventId.toLowerCase();
  const found = await findStoredEvent(deps.db, caller.tenant, id);
  deps.metrics.addMetric(found ? 'StatusStored' : 'StatusPending', MetricUnit.Count, 1);
  if (!found)
    return jsonAnswer(
      202,
      { status: 'pending', eventId: id },
      { 'retry-after': String(PENDING_RETRY_AFTER_SECONDS), 'cache-control': 'no-store' },
    );
  const href = (neighbor: string | null) =>
    neighbor === null ? null : { eventId: neighbor, href: `/telemetry/${neighbor}` };
  return jsonAnswer(200, {
    status: 'stored',
    event: found.event,
    links: { previous: href(found.previousId), next: href(found.nextId) },
  });
}

/** The cursor secret could not be fetched (Secrets Manager): not the database's doing. */
class CursorSecretUnavailable extends PipelineError {
  override readonly name = 'CursorSecretUnavailable';
  constructor(cause: unknown) {
    super('CURSOR_SECRET_UNAVAILABLE', 'the cursor secret cannot be read', { cause });
  }
}

async function answer(
  route: Route,
  event: APIGatewayProxyEventV2,
  caller: Caller,
  deps: StatusDeps,
): Promise<HttpAnswer> {
  const params = event.queryStringParameters ?? {};
  if (route === 'query') {
    const cursorSecret = await deps.cursorSecret().catch((error: unknown) => {
      throw new CursorSecretUnavailable(error);
    });
    return handleQuery(params, caller.tenant, { ...deps, cursorSecret });
  }
  if (route === 'stats') return handleStats(params, caller.tenant, deps);
  return eventStatus(event, caller, deps);
}

/**
 * @example
 * const answer = await handleStatus(event, { db, keys, cursorSecret, logger, metrics });
 */
export async function handleStatus(event: APIGatewayProxyEventV2, deps: StatusDeps): Promise<HttpAnswer> {
  const { logger, metrics } = deps;
  const auth = await authenticate(event, deps.keys);
  if (!auth.ok) {
    if (auth.failure.status === 401) metrics.addMetric('RequestsUnauthorized', MetricUnit.Count, 1);
    else metrics.addMetric('KeyStoreUnavailable', MetricUnit.Count, 1);
    return errorAnswer(auth.failure);
  }
  const route = routeOf(event);
  try {
    return await answer(route, event, auth.caller, deps);
  } catch (error) {
    // The key id, never the key; no query text or parameters (they may hold a tenant's source names).
    const cause = error instanceof CursorSecretUnavailable ? error.cause : error;
    logger.error('read failed', {
      route,
      keyId: auth.caller.keyId,
      error: errorMessage(error),
      cause: errorMessage(cause),
      code: errorCode(cause),
    });
    if (error instanceof CursorSecretUnavailable)
      return errorAnswer({
        status: 503,
        code: 'CURSOR_SECRET_UNAVAILABLE',
        message: 'queries cannot be answered right now; ask again later',
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      });
    metrics.addMetric('StatusDatabaseErrors', MetricUnit.Count, 1);
    return errorAnswer({
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'the event store cannot be reached; ask again later',
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    });
  }
}
