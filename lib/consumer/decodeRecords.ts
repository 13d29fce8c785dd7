/**
 * First pass over a batch: base64 -> JSON -> event schema. Records failing either are poison
 * (`invalid-json`, `invalid-event`); the rest become `telemetry_events` rows. Postgres may still
 * refuse some of those (the bisection finds them): JavaScript and Postgres disagree at the edges,
 * e.g. `\u0000` in a string, or a timestamp `Date.parse` accepts and Postgres does not.
 */
import type { ShardRecord } from '../kinesis/shardRecord';
import { decodeEvent } from '../telemetry/event';
import type { PoisonRecord, ValidRecord } from './types';

export interface DecodedBatch {
  valid: ValidRecord[];
  poison: PoisonRecord[];
}

/**
 * @example
 * const { valid, poison } = decodeRecords(event.Records.map(fromLambdaRecord));
 */
export function decodeRecords(records: readonly ShardRecord[]): DecodedBatch {
  const valid: ValidRecord[] = [];
  const poison: PoisonRecord[] = [];
  for (const record of records) {
    const result = decodeEvent(record.data);
    if (!result.ok) {
      poison.push({ record, reason: result.reason, error: result.error });
      continue;
    }
    const { event } = result;
    valid.push({
      record,
      row: {
        tenant: event.tenant,
        event_id: event.eventId,
        source: event.source,
        type: event.type,
        event_time: event.timestamp,
        duration_ms: event.durationMs,
        payload: event.payload,
        shard_id: record.shardId,
        sequence_number: record.sequenceNumber,
        arrival_time: new Date(record.approximateArrivalTimestamp * 1000).toISOString(),
        received_at: event.receivedAt,
      },
    });
  }
  return { valid, poison };
}
