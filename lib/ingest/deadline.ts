/** When ingest stops trying to put records and answers 503 instead. */
import { DEADLINE_MARGIN_MS, MAX_PUT_MS } from './limits';

/**
 * Epoch ms by which the last PutRecords call must have started: the Lambda's remaining time less a
 * margin for answering, and never more than `MAX_PUT_MS` (a client is better served by a prompt 503
 * with Retry-After than by a request hanging until API Gateway's 30 s timeout).
 *
 * @example
 * const deadline = ingestDeadline(context.getRemainingTimeInMillis());
 */
export function ingestDeadline(remainingMs: number, now: number = Date.now()): number {
  return now + Math.max(0, Math.min(remainingMs - DEADLINE_MARGIN_MS, MAX_PUT_MS));
}
