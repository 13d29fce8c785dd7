/**
 * The answers ingest gives once it knows what happened to each item. A client can always tell, item
 * by item, what is on its way (accepted: it will be processed), what it must fix (rejected) and what
 * it may send again (notAccepted: same eventIds, so a resend cannot duplicate).
 */
import { jsonAnswer, type HttpAnswer } from '../http/answer';
import type { HttpFailure } from '../http/errorAnswer';
import { STREAM_RETRY_AFTER_SECONDS } from './limits';
import type { ItemRejection, PreparedEvent } from './prepareEvents';

export interface AcceptedBody {
  accepted: number;
  rejected: ItemRejection[];
  /** Ids of the accepted items, in the order they were sent (rejected items have none). */
  eventIds: string[];
}

export interface NotAccepted {
  index: number;
  eventId: string;
  code: string;
  error: string;
}

/**
 * 202, with `Location` at the status of the first accepted event.
 *
 * @example
 * return acceptedAnswer(prepared, rejected);
 */
export function acceptedAnswer(accepted: readonly PreparedEvent[], rejected: ItemRejection[]): HttpAnswer {
  const eventIds = accepted.map((item) => item.event.eventId);
  const body: AcceptedBody = { accepted: accepted.length, rejected, eventIds };
  return jsonAnswer(202, body, eventIds[0] ? { location: `/telemetry/${eventIds[0]}` } : {});
}

/**
 * Nothing in the body can be put. 413 when every refusal is an event over Kinesis's record size
 * (the client must split or shrink); 400 otherwise (it must fix the events).
 *
 * @example
 * if (prepared.length === 0) return errorAnswer(noValidEvents(rejected));
 */
export function noValidEvents(rejected: ItemRejection[]): HttpFailure {
  if (rejected.length > 0 && rejected.every((item) => item.code === 'EVENT_TOO_LARGE')) {
    return {
      status: 413,
      code: 'EVENT_TOO_LARGE',
      message: 'every event is larger than a Kinesis record can be (1 MiB)',
      details: { rejected },
    };
  }
  return { status: 400, code: 'NO_VALID_EVENTS', message: 'no event in the body is valid', details: { rejected } };
}

/**
 * 503: the stream did not take some records before the deadline. The accepted ones are on the
 * stream and will be processed whatever the client does next.
 *
 * @example
 * return errorAnswer(streamUnavailable(onStream, notAccepted, rejected));
 */
export function streamUnavailable(
  accepted: readonly PreparedEvent[],
  notAccepted: NotAccepted[],
  rejected: ItemRejection[],
): HttpFailure {
  return {
    status: 503,
    code: 'STREAM_UNAVAILABLE',
    message: `the stream did not take ${notAccepted.length} of ${accepted.length + notAccepted.length} events in time; send those items again after Retry-After with each one's eventId set in the item (or the whole request again with the same Idempotency-Key)`,
    retryAfterSeconds: STREAM_RETRY_AFTER_SECONDS,
    details: {
      accepted: accepted.map((item) => ({ index: item.index, eventId: item.event.eventId })),
      notAccepted,
      rejected,
    },
  };
}
