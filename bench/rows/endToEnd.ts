/**
 * Row 4: the whole pipeline under a sustained, open-loop paced load. The stack runs in a child
 * process (as `npm start` would); this process only sends (`runLoad`, local/src/load) and checks.
 *
 * Latency is POST-to-row: the time each request was sent, against `ingested_at` of each of its
 * events' rows in Postgres (same machine, same clock). `ingested_at` is `now()` of the consumer's
 * write, i.e. the start of the transaction that stores the batch.
 */
import { Client } from 'pg';
import { runLoad, type LoadStats, type RequestOutcome } from '../../local/src/load';
import { sleep } from '../../lib/retry/policy';
import { startStackProcess, type StackProcess } from '../e2e/stackProcess';
import type { RowResult } from '../result';
import { summarize } from '../stats';

const TARGET_P99_MS = 2_000;
/** An open-loop client that keeps within 5% of its rate has kept pace. */
const RATE_TOLERANCE = 0.95;
const DRAIN_TIMEOUT_MS = 120_000;
const WARMUP_EVENTS = 20;
const RELAY_WAIT_MS = 30_000;

export interface EndToEndOptions {
  eventsPerSecond: number;
  durationSeconds: number;
  batchSize: number;
}

const count = (n: number): string => n.toLocaleString('en-US');

function statusSummary(load: LoadStats): string {
  const answers = Object.entries(load.byStatus).map(([status, n]) => `${n} x ${status}`);
  return answers.length ? answers.join(', ') : 'no answers';
}

async function storedCount(db: Client, ids: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM telemetry_events WHERE event_id = ANY($1::uuid[])',
    [ids],
  );
  return rows[0]?.n ?? 0;
}

/** Waits (bounded) until every id is a row; returns how many are. */
async function waitForRows(
  db: Client,
  ids: readonly string[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  let stored = 0;
  for (let polls = 0; Date.now() < until && polls < 10_000; polls += 1) {
    stored = await storedCount(db, ids);
    if (stored >= ids.length) return stored;
    if (polls % 8 === 0) log(`end to end: waiting for the consumer, ${count(stored)} of ${count(ids.length)} rows`);
    await sleep(250);
  }
  return stored;
}

/** Waits (bounded) until the relay has put `expected` records on its target, for the report. */
async function waitForRelay(
  stack: StackProcess,
  expected: number,
  timeoutMs: number,
): ReturnType<StackProcess['status']> {
  const until = Date.now() + timeoutMs;
  let latest = await stack.status();
  for (let polls = 0; latest.status.relayed < expected && Date.now() < until && polls < 1_000; polls += 1) {
    await sleep(250);
    latest = await stack.status();
  }
  return latest;
}

/**
 * @example
 * const rows = await endToEndRow({ eventsPerSecond: 2_000, durationSeconds: 30, batchSize: 100 }, env, log);
 */
export async function endToEndRow(
  options: EndToEndOptions,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<RowResult[]> {
  log('end to end: starting the local stack in a child process');
  const stack = await startStackProcess(env);
  const db = new Client({ connectionString: stack.databaseUrl });
  try {
    await db.connect();
    // Loads the handlers' connections and the mappings' first poll; not measured.
    const warmIds: string[] = [];
    const warm = await runLoad({
      apiUrl: stack.apiUrl,
      apiKey: stack.apiKey,
      rate: 1_000,
      durationSeconds: 1,
      events: WARMUP_EVENTS,
      batchSize: WARMUP_EVENTS,
      onResponse: (outcome) => warmIds.push(...outcome.acceptedIds),
    });
    if (warm.accepted !== WARMUP_EVENTS)
      throw new Error(`warm-up POST: ${warm.accepted} of ${WARMUP_EVENTS} accepted (${warm.errors.join('; ')})`);
    await waitForRows(db, warmIds, 30_000, log);
    const sentAtById = new Map<string, number>();
    const record = (outcome: RequestOutcome): void => {
      for (const id of outcome.acceptedIds) sentAtById.set(id, outcome.sentAt);
    };
    log(
      `end to end: ${count(options.eventsPerSecond)} events/s for ${options.durationSeconds} s in POSTs of ${options.batchSize}`,
    );
    const load: LoadStats = await runLoad({
      apiUrl: stack.apiUrl,
      apiKey: stack.apiKey,
      rate: options.eventsPerSecond,
      durationSeconds: options.durationSeconds,
      batchSize: options.batchSize,
      concurrency: 32,
      onResponse: record,
      onProgress: (stats) =>
        log(
          `end to end: sent ${count(stats.eventsSent)}, accepted ${count(stats.accepted)}, POST p99 ${stats.latencyMs.p99} ms`,
        ),
      progressIntervalMs: 5_000,
    });
    const ids = [...sentAtById.keys()];
    const stored = await waitForRows(db, ids, DRAIN_TIMEOUT_MS, log);
    const { rows } = await db.query<{ id: string; ms: number }>(
      'SELECT event_id::text AS id, (extract(epoch FROM ingested_at) * 1000)::float8 AS ms FROM telemetry_events',
    );
    const latencies: number[] = [];
    const bySecond = new Map<number, number[]>();
    const firstSent = [...sentAtById.values()].reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
    let unexpected = 0;
    for (const row of rows) {
      const sentAt = sentAtById.get(row.id);
      if (sentAt === undefined) {
        unexpected += 1;
        continue;
      }
      latencies.push(row.ms - sentAt);
      const second = Math.floor((sentAt - firstSent) / 1000);
      const bucket = bySecond.get(second) ?? [];
      bucket.push(row.ms - sentAt);
      bySecond.set(second, bucket);
    }
    const latencyBySecond = [...bySecond.entries()]
      .sort(([a], [b]) => a - b)
      .map(([second, values]) => {
        const { median, p99, max } = summarize(values);
        return { second, events: values.length, p50: Math.round(median), p99: Math.round(p99), max: Math.round(max) };
      });
    // The warm-up's rows are the only others allowed; the primary key makes two rows of one id impossible.
    const extra = unexpected - warm.accepted;
    const missing = ids.length - stored;
    const { status, mappings } = await waitForRelay(stack, ids.length + warm.accepted, RELAY_WAIT_MS);
    const latency = summarize(latencies);
    const rateMet = load.achievedRate >= options.eventsPerSecond * RATE_TOLERANCE && load.unanswered === 0;
    const sizes = `${count(options.eventsPerSecond)} events/s for ${options.durationSeconds} s, POSTs of ${options.batchSize}`;
    const detail = { load, latencyMs: latency, latencyBySecond, stored, missing, extra, stackStatus: status, mappings };
    return [
      {
        row: '4a',
        measure: `end to end (stack in a child process): ${sizes}; rate achieved. POST answers p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms, ${statusSummary(load)}`,
        unit: 'events/s',
        median: load.achievedRate,
        target: `${count(options.eventsPerSecond)}/s sustained`,
        met: rateMet,
        detail,
      },
      {
        row: '4b',
        measure: `end to end: POST sent -> row in Postgres (ingested_at), per event: p99 ${count(Math.round(latency.p99))} ms, max ${count(Math.round(latency.max))} ms`,
        unit: 'ms',
        median: latency.median,
        p95: latency.p95,
        target: `p99 <= ${count(TARGET_P99_MS)} ms`,
        met: latency.p99 <= TARGET_P99_MS,
        detail: { p99: latency.p99, max: latency.max },
      },
      {
        row: '4c',
        measure: `end to end: every accepted event stored once: ${count(ids.length)} accepted, ${count(stored)} stored, ${count(missing)} missing, ${count(Math.max(0, extra))} extra; DLQ ${status.dlqDepth}, function errors ${status.functionErrors}, relayed ${count(status.relayed)}`,
        unit: 'events/s',
        display: { median: `${count(stored)}/${count(ids.length)}` },
        target: 'all, once',
        check: true,
        met: missing === 0 && extra === 0 && ids.length > 0 && status.dlqDepth === 0,
      },
    ];
  } finally {
    await db.end().catch(() => undefined);
    await stack.stop();
  }
}
