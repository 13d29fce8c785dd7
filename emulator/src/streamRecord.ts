/**
 * A record as the emulator holds it between GetRecords and the checkpoint: what Kinesis returned
 * plus what the emulator needs to order, batch and age it.
 */
import type { _Record } from '@aws-sdk/client-kinesis';

export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  /** Sequence numbers are up to 128-bit decimal strings: compared as BigInt, never as numbers. */
  sequence: bigint;
  partitionKey: string;
  data: Uint8Array;
  /** Kinesis' ApproximateArrivalTimestamp, epoch ms. */
  arrivalMs: number;
  /** When the emulator read it (epoch ms): the batching window counts from here. */
  readAtMs: number;
  /** Processed, or sent to the on-failure destination (or discarded without one). */
  done: boolean;
}

/**
 * @example
 * const records = (page.Records ?? []).map((r) => toStreamRecord(r, shardId, Date.now()));
 */
export function toStreamRecord(record: _Record, shardId: string, readAtMs: number): StreamRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  return {
    shardId,
    sequenceNumber,
    sequence: BigInt(sequenceNumber),
    partitionKey: record.PartitionKey ?? '',
    data: record.Data ?? new Uint8Array(),
    arrivalMs: record.ApproximateArrivalTimestamp?.getTime() ?? readAtMs,
    readAtMs,
    done: false,
  };
}
