/**
 * A wait that ends early when something changes: loops sleep on it instead of polling blindly,
 * and `stop()` wakes every one of them at once.
 */
export class Wakeup {
  private waiters: (() => void)[] = [];

  /**
   * Resolves on the next `notify()` or after `ms`, whichever comes first.
   *
   * @example
   * await wakeup.wait(500);
   */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.push(done);
    });
  }

  /** Wakes everyone waiting now. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
