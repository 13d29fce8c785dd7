/**
 * What a load run sent and what the API answered, added up request by request, with the latency
 * percentiles and the achieved rate computed when asked.
 */

/** What happened to one POST. */
export interface RequestOutcome {
  /** Position of the request in the run, from 0. */
  batch: number;
  /** Epoch ms when the request was sent. */
  sentAt: number;
  latencyMs: number;
  /** HTTP status; 0 when there was no answer (connection refused, timeout). */
  status: number;
  /** Items in the body, malformed ones included. */
  items: number;
  malformed: number;
  /** Ids of the items the API took (a 202's `eventIds`, or the accepted part of a 503), in sending order. */
  acceptedIds: string[];
  /** Items refused one by one (the `rejected` list of a 202, 400 or 503). */
  rejected: number;
  /** Items a 503 did not get onto the stream (the client may send them again with the same ids). */
  notAccepted: number;
  /** Poison events put straight on the stream alongside this request (bypassing ingest). */
  poisonIds: string[];
  poisonFailed: number;
  /** No answer, or an answer this client could not read. */
  error?: string;
}

/** `running` in progress snapshots; afterwards why no further request was started. */
export type StopReason = 'running' | 'done' | 'duration' | 'aborted';

export interface LoadStats {
  targetRate: number;
  plannedEvents: number;
  requests: number;
  /** Items POSTed, malformed ones included. */
  eventsSent: number;
  malformedSent: number;
  accepted: number;
  rejected: number;
  notAccepted: number;
  /** Items in requests that got no answer: their fate is unknown. */
  unanswered: number;
  poisonPut: number;
  poisonFailed: number;
  /** Answers by HTTP status; `error` for requests with no answer. */
  byStatus: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  /** From the start to the last answer, or to when the items sent were due to be done, if later. */
  elapsedMs: number;
  /** Items sent per second over `elapsedMs`: the target rate when the client kept pace, less when not. */
  achievedRate: number;
  stoppedBecause: StopReason;
  /** A few distinct errors, for the operator. */
  errors: string[];
}

/**
 * Nearest-rank percentile of sorted values; 0 for none.
 *
 * @example
 * percentile([10, 20, 30, 40], 0.5); // 20
 */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] as number;
}

const MAX_ERRORS_KEPT = 5;

/** Adds outcomes up; `snapshot()` gives the stats so far (progress) or at the end. */
export class LoadStatsRecorder {
  private readonly latencies: number[] = [];
  private readonly totals: Omit<LoadStats, 'latencyMs' | 'elapsedMs' | 'achievedRate' | 'stoppedBecause'>;
  private readonly startedAt: number;
  private lastAnswer: number | undefined;

  /**
   * @example
   * const recorder = new LoadStatsRecorder(2000, 60_000);
   * recorder.add(outcome);
   * const stats = recorder.snapshot('done');
   */
  constructor(targetRate: number, plannedEvents: number, startedAt: number = Date.now()) {
    this.startedAt = startedAt;
    this.totals = {
      targetRate,
      plannedEvents,
      requests: 0,
      eventsSent: 0,
      malformedSent: 0,
      accepted: 0,
      rejected: 0,
      notAccepted: 0,
      unanswered: 0,
      poisonPut: 0,
      poisonFailed: 0,
      byStatus: {},
      errors: [],
    };
  }

  add(outcome: RequestOutcome): void {
    const t = this.totals;
    t.requests += 1;
    t.eventsSent += outcome.items;
    t.malformedSent += outcome.malformed;
    t.accepted += outcome.acceptedIds.length;
    t.rejected += outcome.rejected;
    t.notAccepted += outcome.notAccepted;
    t.poisonPut += outcome.poisonIds.length;
    t.poisonFailed += outcome.poisonFailed;
    if (outcome.status === 0) t.unanswered += outcome.items;
    const key = outcome.status === 0 ? 'error' : String(outcome.status);
    t.byStatus[key] = (t.byStatus[key] ?? 0) + 1;
    if (outcome.error && t.errors.length < MAX_ERRORS_KEPT && !t.errors.includes(outcome.error))
      t.errors.push(outcome.error);
    if (outcome.status !== 0) this.latencies.push(outcome.latencyMs);
    this.lastAnswer = Math.max(this.lastAnswer ?? 0, outcome.sentAt + outcome.latencyMs);
  }

  snapshot(stoppedBecause: StopReason, now: number = Date.now()): LoadStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const t = this.totals;
    // From the start to the last answer alone would overstate a short run's rate (its last batch
    // answers long before its interval has passed): elapsed is at least what the items were due to take.
    const dueMs = t.targetRate > 0 ? (t.eventsSent * 1000) / t.targetRate : 0;
    const answeredMs = (stoppedBecause === 'running' ? now : (this.lastAnswer ?? now)) - this.startedAt;
    const elapsedMs = t.requests === 0 ? 0 : Math.max(1, Math.round(Math.max(dueMs, answeredMs)));
    return {
      ...this.totals,
      byStatus: { ...this.totals.byStatus },
      errors: [...this.totals.errors],
      latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? 0 },
      elapsedMs,
      achievedRate: elapsedMs > 0 ? Math.round((t.eventsSent * 1000) / elapsedMs) : 0,
      stoppedBecause,
    };
  }
}
