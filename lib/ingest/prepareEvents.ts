/**
 * Parsed items → the Kinesis records to put, and a per-item reason for every item that will not be
 * put. Every check that can refuse an item happens here, before anything is sent, so a refused item
 * is certainly not on the stream.
 */
import { recordProblem, type KinesisRecord } from '../kinesis/putRecords';
import { encodeEvent, type TelemetryEvent } from '../telemetry/event';
import { normalizeEvent } from '../telemetry/normalize';
import { eventPartitionKey } from '../telemetry/partitionKey';
import type { ParsedItem } from './parseItems';

export type RejectionCode = 'INVALID_JSON' | 'INVALID_EVENT' | 'DUPLICATE_EVENT_ID' | 'EVENT_TOO_LARGE';

export interface ItemRejection {
  /** Position of the item in the request (NDJSON: among non-blank lines). */
  index: number;
  code: RejectionCode;
  error: string;
}

export interface PreparedEvent {
  index: number;
  event: TelemetryEvent;
  record: KinesisRecord;
}

export interface PreparedEvents {
  prepared: PreparedEvent[];
  rejected: ItemRejection[];
}

/**
 * @example
 * const { prepared, rejected } = prepareEvents(parsed.items, { tenant, idempotencyKey, receivedAt: new Date().toISOString() });
 */
export function prepareEvents(
  items: readonly ParsedItem[],
  context: {
    /** The sender's tenant: on every event, and in the partition key. */
    tenant: string;
    idempotencyKey: string | undefined;
    receivedAt: string;
    /** The Kinesis partition key of each event; default its tenant and source (one source's events keep their order). */
    partitionKey?: (event: TelemetryEvent) => string;
  },
): PreparedEvents {
  const prepared: PreparedEvent[] = [];
  const rejected: ItemRejection[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    if (!item.ok) {
      rejected.push({ index, code: item.code, error: item.error });
      return;
    }
    const normalized = normalizeEvent(item.value, {
      tenant: context.tenant,
      index,
      idempotencyKey: context.idempotencyKey,
      receivedAt: context.receivedAt,
    });
    if (!normalized.ok) {
      rejected.push({ index, code: 'INVALID_EVENT', error: normalized.error });
      return;
    }
    const { event } = normalized;
    // The consumer keeps the first of two events with one id and drops the other without a word:
    // say so now, to the sender, instead.
    const first = seen.get(event.eventId);
    if (first !== undefined) {
      rejected.push({ index, code: 'DUPLICATE_EVENT_ID', error: `eventId ${event.eventId} is also item ${first}'s` });
      return;
    }
    const record: KinesisRecord = {
      data: encodeEvent(event),
      partitionKey: context.partitionKey?.(event) ?? eventPartitionKey(event.tenant, event.source),
    };
    const problem = recordProblem(record);
    if (problem) {
      rejected.push({
        index,
        code: problem.code === 'RECORD_TOO_LARGE' ? 'EVENT_TOO_LARGE' : 'INVALID_EVENT',
        error: problem.message,
      });
      return;
    }
    seen.set(event.eventId, index);
    prepared.push({ index, event, record });
  });
  return { prepared, rejected };
}
