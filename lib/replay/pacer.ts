/** Pacing for a replay's writes, so that an operator's `recordsPerSecond` holds over a whole run. */
import { sleep } from '../retry/policy';

/** Spaces puts so that `recordsPerSecond` holds over the whole run. */
export class Pacer {
  private readonly started = Date.now();
  private sent = 0;
  constructor(private readonly perSecond: number | undefined) {}

  /** Largest slice to put before the next wait. */
  slice(): number {
    return this.perSecond ? Math.max(1, Math.min(500, Math.floor(this.perSecond))) : Number.MAX_SAFE_INTEGER;
  }

  async wait(deadline: number): Promise<void> {
    if (!this.perSecond) return;
    const due = this.started + (this.sent / this.perSecond) * 1000;
    const wait = Math.min(due - Date.now(), deadline - Date.now());
    if (wait > 0) await sleep(wait);
  }

  count(records: number): void {
    this.sent += records;
  }
}
