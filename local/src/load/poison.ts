/**
 * Poison records put straight on the stream, as a producer bypassing ingest would: ingest refuses
 * U+0000 itself, so records Postgres rejects can only arrive this way. The consumer must dead-letter
 * them (reason `db-rejected`) with their payload.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { putRecords, type StreamRef } from '../../../lib/kinesis/putRecords';
import { encodeEvent, type TelemetryEvent } from '../../../lib/telemetry/event';

export interface PoisonTarget {
  kinesis: KinesisClient;
  stream: StreamRef;
}

export interface PoisonPut {
  /** The events that are on the stream. */
  put: TelemetryEvent[];
  failed: number;
}

/**
 * @example
 * const { put } = await putPoisonEvents({ kinesis, stream: { streamName } }, [poisonEvent(random, sources)]);
 */
export async function putPoisonEvents(
  target: PoisonTarget,
  events: readonly TelemetryEvent[],
  timeoutMs = 10_000,
): Promise<PoisonPut> {
  if (events.length === 0) return { put: [], failed: 0 };
  const result = await putRecords(
    target.kinesis,
    events.map((event) => ({ data: encodeEvent(event), partitionKey: event.source })),
    { stream: target.stream, deadline: Date.now() + timeoutMs },
  );
  const failedAt = new Set(result.failed.map((failure) => failure.index));
  return { put: events.filter((_event, index) => !failedAt.has(index)), failed: result.failed.length };
}
