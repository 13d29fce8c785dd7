/**
 * What a handler's return value means under `ReportBatchItemFailures`, by the rules AWS documents
 * and was recorded following: null, an empty response, an empty string, an empty list (`[]`, recorded)
 * or an empty/null `batchItemFailures` is success; an item with an empty, missing or unknown
 * `itemIdentifier` fails the whole batch; otherwise Lambda checkpoints just before the lowest failed
 * sequence number and retries from it. A non-empty list or another non-object (not recorded) fails
 * the whole batch here.
 */
import type { StreamRecord } from './streamRecord';

export type BatchVerdict =
  | { kind: 'success' }
  /** Records before `firstFailedIndex` succeeded; it and everything after it come again. */
  | { kind: 'partial'; firstFailedIndex: number }
  | { kind: 'malformed'; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @example
 * const verdict = judgeResponse({ batchItemFailures: [{ itemIdentifier: seq }] }, batch, true);
 */
export function judgeResponse(
  response: unknown,
  records: readonly StreamRecord[],
  reportBatchItemFailures: boolean,
): BatchVerdict {
  // Without the response type enabled Lambda ignores whatever the function returns.
  if (!reportBatchItemFailures || response === null || response === undefined || response === '')
    return { kind: 'success' };
  if (Array.isArray(response) && response.length === 0) return { kind: 'success' };
  if (!isObject(response))
    return {
      kind: 'malformed',
      reason: `response is ${Array.isArray(response) ? 'an array' : typeof response}, not an object`,
    };
  const failures = response.batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'malformed', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };

  const indexBySequence = new Map(records.map((record, index) => [record.sequenceNumber, index]));
  let lowest: { index: number; sequence: bigint } | undefined;
  for (const failure of failures) {
    const id = isObject(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '')
      return { kind: 'malformed', reason: `batchItemFailures item ${JSON.stringify(failure)} has no itemIdentifier` };
    const index = indexBySequence.get(id);
    if (index === undefined)
      return {
        kind: 'malformed',
        reason: `itemIdentifier ${JSON.stringify(id)} is not a sequence number in the batch`,
      };
    const sequence = (records[index] as StreamRecord).sequence;
    if (!lowest || sequence < lowest.sequence) lowest = { index, sequence };
  }
  return lowest ? { kind: 'partial', firstFailedIndex: lowest.index } : { kind: 'success' };
}
