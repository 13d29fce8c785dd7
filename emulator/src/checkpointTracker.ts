/**
 * A shard's checkpoint: the highest sequence number up to which every record read is done. With a
 * parallelization factor above 1, lanes finish out of order, so the checkpoint only moves over a
 * contiguous run of done records (as Lambda's does).
 */
import type { StreamRecord } from './streamRecord';

export class CheckpointTracker {
  private readonly records: StreamRecord[] = [];
  private head = 0;
  private lastCheckpoint: string | undefined;

  /** Records read and not yet behind the checkpoint. */
  get pending(): number {
    return this.records.length - this.head;
  }

  get checkpoint(): string | undefined {
    return this.lastCheckpoint;
  }

  /** Arrival time of the oldest record not yet behind the checkpoint. */
  get oldestPendingArrivalMs(): number | undefined {
    return this.records[this.head]?.arrivalMs;
  }

  /**
   * Records must be added in the order GetRecords returned them (sequence order).
   *
   * @example
   * tracker.add(records);
   */
  add(records: readonly StreamRecord[]): void {
    this.records.push(...records);
  }

  /**
   * Marks records done and moves the checkpoint; returns how many records it moved over.
   *
   * @example
   * const advanced = tracker.complete(batch);
   */
  complete(records: readonly StreamRecord[]): number {
    for (const record of records) record.done = true;
    let advanced = 0;
    while (this.head < this.records.length && (this.records[this.head] as StreamRecord).done) {
      this.lastCheckpoint = (this.records[this.head] as StreamRecord).sequenceNumber;
      this.head += 1;
      advanced += 1;
    }
    // Drop the done prefix now and then rather than shifting the array on every record.
    if (this.head > 4_096 && this.head * 2 > this.records.length) {
      this.records.splice(0, this.head);
      this.head = 0;
    }
    return advanced;
  }
}
