/**
 * Row 2: a replay sharing a stream's shards with live traffic. Ten shards, each taking 1,000
 * records/s and 1 MiB/s (the shard model, with 25 ms per call too); a live writer puts 500 records
 * every 100 ms (5,000 records/s, half the stream) over many partition keys through
 * `putRecordsConcurrently` with its own AdaptiveLimit(8); the replay (`replayQueue`, AdaptiveLimit(8),
 * no records/s cap) drains a DLQ of record messages onto the same stream.
 *
 * Both writers use ONE modelled client, so they draw on the same per-shard buckets, as two writers
 * on one stream do in AWS. First the live load alone (its baseline latency per put), then live and
 * replay together until the replay is done (stopped after a bound whatever happens).
 *
 * The live writer is an open loop, as ingest's requests are: a put every 100 ms however long the
 * ones before take, several in flight under its one AdaptiveLimit; only a put whose keys the put
 * 2 s before also carried waits for that one (so each key's records keep their order), and how late
 * a put started is reported.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { createKinesisClient } from '../../lib/aws/kinesisClient';
import { AdaptiveLimit } from '../../lib/kinesis/adaptiveLimit';
import { putRecordsConcurrently } from '../../lib/kinesis/putConcurrently';
import type { KinesisRecord } from '../../lib/kinesis/putRecords';
import { replayDeps } from '../../lib/replay/deps';
import { replayQueue, type ReplayDeps, type ReplayReport } from '../../lib/replay/replayQueue';
import { sleep } from '../../lib/retry/policy';
import { encodeEvent } from '../../lib/telemetry/event';
import { simulateKinesisLimits } from '../../local/src/kinesisModel';
import { REGION, streamArn, type BenchContext } from '../context';
import { kinesisRecords, streamEvent } from '../fixtures/events';
import type { RowResult } from '../result';
import { summarize, type Summary } from '../stats';
import { createQueue, createStream, deleteQueue, deleteStream } from '../streams';
import { packDeadLetters, replayExpectation, sendDeadLetters, watchQueue } from './deadLetters';
import { CONCURRENCY, LATENCY_MS } from './latencyRows';
import type { WriteBenchOptions } from './options';
import { emptyTally, tallyWriters, type WriterTally } from './tally';
import { checkLine, checkStream, recordId, readStream, type CheckResult } from './verify';

export const SHARDS = 10;
export const SHARD_RECORDS_PER_SECOND = 1_000;
export const SHARD_BYTES_PER_SECOND = 1_048_576;
/** The live load: LIVE_BATCH records every LIVE_INTERVAL_MS. */
export const LIVE_BATCH = 500;
export const LIVE_INTERVAL_MS = 100;
/**
 * The live load's keys: LIVE_KEY_GROUPS groups of LIVE_BATCH keys, a put taking one group's keys in
 * turn (one record each). Puts of different groups may be in flight together; a put waits for the
 * last one of its own group, so a key's records reach the stream in order.
 */
export const LIVE_KEY_GROUPS = 20;
/** A live put's deadline (an ingest request's budget). */
const LIVE_DEADLINE_MS = 10_000;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms1 = (n: number): string => `${n.toFixed(n >= 100 ? 0 : 1)} ms`;

interface LiveSample {
  /** ms since the live load began, when the put started. */
  at: number;
  ms: number;
  /** How long after it was due the put started (waiting for the one before). */
  lateMs: number;
  phase: 'alone' | 'with-replay' | 'after';
  retriedEntries: number;
  failed: number;
}

/**
 * The live writer: a put of LIVE_BATCH records every LIVE_INTERVAL_MS whatever the puts before are
 * doing (an open loop, as ingest's requests arrive), until told to stop (or a bound on ticks).
 */
class LiveLoad {
  readonly ids: string[] = [];
  readonly keys: string[] = [];
  /** Positions (in `ids`) the writer was told did not go in. */
  readonly notPut = new Set<number>();
  readonly samples: LiveSample[] = [];
  readonly limit = new AdaptiveLimit(CONCURRENCY);
  phase: LiveSample['phase'] = 'alone';
  /** Most puts in flight at once. */
  maxInFlight = 0;
  private stopping = false;
  private readonly started = performance.now();
  /** The put in flight per key group. */
  private readonly inFlight = new Map<number, Promise<void>>();
  readonly done: Promise<void>;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly stream: string,
    maxTicks: number,
  ) {
    this.done = this.run(maxTicks);
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  private batch(group: number): KinesisRecord[] {
    const records: KinesisRecord[] = [];
    for (let j = 0; j < LIVE_BATCH; j += 1) {
      const event = streamEvent(this.ids.length);
      const partitionKey = `live-${group}-${j}`;
      this.ids.push(event.eventId);
      this.keys.push(partitionKey);
      records.push({ data: encodeEvent(event), partitionKey });
    }
    return records;
  }

  private async put(tick: number, due: number): Promise<void> {
    const group = tick % LIVE_KEY_GROUPS;
    // A key's records in order: the put that last carried this group's keys must be back first.
    await this.inFlight.get(group);
    const first = this.ids.length;
    const records = this.batch(group);
    const phase = this.phase;
    const started = performance.now();
    const result = await putRecordsConcurrently(this.kinesis, records, {
      stream: { streamName: this.stream },
      deadline: Date.now() + LIVE_DEADLINE_MS,
      concurrency: CONCURRENCY,
      limit: this.limit,
    });
    const ms = performance.now() - started;
    for (const failure of result.failed) this.notPut.add(first + failure.index);
    this.samples.push({
      at: started - this.started,
      ms,
      lateMs: Math.max(0, started - due),
      phase,
      retriedEntries: result.retriedEntries,
      failed: result.failed.length,
    });
  }

  private async run(maxTicks: number): Promise<void> {
    for (let tick = 0; tick < maxTicks && !this.stopping; tick += 1) {
      const due = this.started + tick * LIVE_INTERVAL_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (this.stopping) break;
      const group = tick % LIVE_KEY_GROUPS;
      const put = this.put(tick, due);
      this.inFlight.set(group, put);
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.size);
      // A failure surfaces through Promise.all below; this only forgets the finished put.
      put
        .finally(() => {
          if (this.inFlight.get(group) === put) this.inFlight.delete(group);
        })
        .catch(() => undefined);
    }
    await Promise.all([...this.inFlight.values()]);
  }

  /** Per-put latency and the load actually offered, over one phase. */
  summary(phase: LiveSample['phase']): {
    latency: Summary;
    lateMs: Summary;
    records: number;
    seconds: number;
    retried: number;
  } {
    const samples = this.samples.filter((sample) => sample.phase === phase);
    const first = Math.min(...samples.map((sample) => sample.at));
    const end = Math.max(...samples.map((sample) => sample.at + sample.ms));
    const seconds = samples.length > 0 ? (end - first) / 1000 : 0;
    return {
      latency: summarize(samples.map((sample) => sample.ms)),
      lateMs: summarize(samples.map((sample) => sample.lateMs)),
      records: samples.length * LIVE_BATCH,
      seconds,
      retried: samples.reduce((sum, sample) => sum + sample.retriedEntries, 0),
    };
  }
}

/** Replayed records over many keys (the fixture's 20 sources would put them on a few shards only). */
function replayRecords(records: number, keys: number): KinesisStreamRecord[] {
  const source = { streamArn: streamArn('bench-write-source'), shardId: 'shardId-000000000000', region: REGION };
  return kinesisRecords(records, source).map((record, i) => ({
    ...record,
    kinesis: { ...record.kinesis, partitionKey: `service-${i % keys}` },
  }));
}

/** Records per shard for a set of keys (each key's share), to say how evenly a writer spreads. */
async function spread(
  shardFor: (key: string) => Promise<string>,
  keys: readonly string[],
): Promise<Record<string, number>> {
  const perKey = new Map<string, number>();
  for (const key of keys) perKey.set(key, (perKey.get(key) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const [key, n] of perKey) {
    const shard = await shardFor(key);
    out[shard] = (out[shard] ?? 0) + n;
  }
  return out;
}

/**
 * @example
 * const rows = await sharedShardRows(ctx, options.shards);
 */
export async function sharedShardRows(ctx: BenchContext, sizes: WriteBenchOptions['shards']): Promise<RowResult[]> {
  const name = 'bench-write-shared';
  const records = replayRecords(sizes.replayRecords, sizes.replayKeys);
  const ids = records.map((record) => recordId(Buffer.from(record.kinesis.data, 'base64')));
  const packed = packDeadLetters(records, ids, streamArn('bench-write-source'));
  await createStream(ctx.kinesis, name, SHARDS);
  const queueUrl = await createQueue(ctx.sqs, name);
  ctx.log(
    `2: filling the DLQ with ${count(packed.bodies.length)} record messages (${count(sizes.replayRecords)} records)`,
  );
  await sendDeadLetters(ctx.sqs, queueUrl, packed);

  // ONE client for both writers: one model, one set of shard buckets.
  const kinesis = createKinesisClient(ctx.aws);
  const tally = tallyWriters(kinesis, (key) => (key.startsWith('live-') ? 'live' : 'replay'));
  const model = simulateKinesisLimits(kinesis, {
    latencyMs: LATENCY_MS,
    recordsPerSecond: SHARD_RECORDS_PER_SECOND,
    bytesPerSecond: SHARD_BYTES_PER_SECOND,
  });
  const everything = replayDeps(ctx.aws, { kinesis: () => kinesis });
  const replayLimit = new AdaptiveLimit(CONCURRENCY);
  const deps: ReplayDeps = {
    sqs: everything.sqs,
    s3: everything.s3,
    kinesisFor: everything.kinesisFor,
    resolveStream: everything.resolveStream,
    putLimit: replayLimit,
  };
  const watch = watchQueue(deps.sqs, packed);
  let live: LiveLoad | undefined;
  try {
    const shardFor = (key: string): Promise<string> => model.shardFor(name, key);
    await shardFor('warm-up'); // the model's shard list, read once before anything is timed
    const replaySpread = await spread(shardFor, packed.keys);
    const busiest = Math.max(...Object.values(replaySpread)) / sizes.replayRecords;
    ctx.log(
      `2: replay keys ${sizes.replayKeys} over ${Object.keys(replaySpread).length} of ${SHARDS} shards (busiest shard ${(busiest * 100).toFixed(0)}% of the records)`,
    );

    const maxTicks = Math.ceil((sizes.aloneMs + sizes.boundMs) / LIVE_INTERVAL_MS) + 10;
    const liveStarted = performance.now();
    live = new LiveLoad(kinesis, name, maxTicks);
    ctx.log(`2: live load alone for ${(sizes.aloneMs / 1000).toFixed(0)} s`);
    await sleep(sizes.aloneMs);
    const early = live.summary('alone');
    const modelAlone = model.stats();
    ctx.log(
      `2: live alone: p50 ${ms1(early.latency.median)}, p99 ${ms1(early.latency.p99)} per put of ${LIVE_BATCH}; throttled ${count(modelAlone.throttled)}`,
    );

    live.phase = 'with-replay';
    const replayStarted = performance.now();
    let lastRecordAt = Number.NaN;
    let lastLog = replayStarted;
    const limitTrace: { at: number; current: number }[] = [];
    const current = live;
    let report: ReplayReport;
    try {
      report = await replayQueue(deps, {
        queueUrl,
        targetStream: name,
        deadline: Date.now() + sizes.boundMs,
        onProgress: (progress) => {
          const now = performance.now();
          limitTrace.push({ at: Math.round(now - replayStarted), current: replayLimit.current });
          if (progress.recordsReplayed >= sizes.replayRecords && Number.isNaN(lastRecordAt)) lastRecordAt = now;
          if (now - lastLog >= 5_000) {
            lastLog = now;
            const sofar = current.summary('with-replay');
            ctx.log(
              `2: replay ${count(progress.recordsReplayed)}/${count(sizes.replayRecords)} in ${((now - replayStarted) / 1000).toFixed(0)} s, limit ${replayLimit.current}; live p50 ${ms1(sofar.latency.median)} p99 ${ms1(sofar.latency.p99)}`,
            );
          }
        },
      });
    } finally {
      live.phase = 'after';
      await live.stop();
    }
    const replayEnded = performance.now();
    const replayMs = (Number.isNaN(lastRecordAt) ? replayEnded : lastRecordAt) - replayStarted;
    const withReplay = live.summary('with-replay');
    // Again, now that every put of the first phase has come back.
    const alone = live.summary('alone');
    const stats = model.stats();
    ctx.log(
      `2: replay ${count(report.recordsReplayed)} records in ${(replayMs / 1000).toFixed(1)} s (${report.stoppedBecause}); reading the stream back`,
    );

    const onStream = await readStream(ctx.kinesis, name);
    const liveNotPut = live.notPut;
    const [liveCheck, replayCheck] = checkStream(onStream, [
      { ids: live.ids, keys: live.keys, required: (position) => !liveNotPut.has(position) },
      replayExpectation(packed, watch),
    ]) as [CheckResult, CheckResult];
    if (liveNotPut.size > 0) {
      liveCheck.ok = false;
      liveCheck.problems.push(`${liveNotPut.size} live records reported not put`);
    }
    ctx.log(`2: live: ${checkLine(liveCheck)}`);
    ctx.log(`2: replay: ${checkLine(replayCheck)}`);

    const liveTally: WriterTally = tally.byWriter.live ?? emptyTally();
    const replayTally: WriterTally = tally.byWriter.replay ?? emptyTally();
    const replayRate = report.recordsReplayed / (replayMs / 1000);
    const liveRate = withReplay.seconds > 0 ? withReplay.records / withReplay.seconds : Number.NaN;
    const capacity = SHARDS * SHARD_RECORDS_PER_SECOND;
    // What the live load offers (500 every 100 ms), not what it got through: the rest is the replay's.
    const offered = (LIVE_BATCH * 1000) / LIVE_INTERVAL_MS;
    const spare = capacity - offered;
    // The live writer's single PutRecords calls, per phase: the round trip itself, without retries.
    const liveCalls = (from: number, to: number): Summary =>
      summarize(
        liveTally.callMs.filter(
          (_ms, i) => (liveTally.callAt[i] as number) >= from && (liveTally.callAt[i] as number) < to,
        ),
      );
    const callsAlone = liveCalls(liveStarted, replayStarted);
    const callsWith = liveCalls(replayStarted, replayEnded);
    const done = report.recordsReplayed === sizes.replayRecords;
    const ok = liveCheck.ok && replayCheck.ok;
    const checkText = ok
      ? `live ${count(liveCheck.expected)} and replay ${count(replayCheck.expected)} records all on the stream, order per key kept (${count(liveCheck.duplicates + replayCheck.duplicates)} duplicate copies)`
      : `BROKEN: live ${checkLine(liveCheck)}; replay ${checkLine(replayCheck)}`;
    const ratioCell = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '');
    const shape = `${SHARDS} shards x ${count(SHARD_RECORDS_PER_SECOND)} rec/s, ${LATENCY_MS} ms/call`;

    const rows: RowResult[] = [
      {
        row: '2a',
        measure:
          `replay beside live load (${shape}): replayQueue, ${count(sizes.replayRecords)} records over ${sizes.replayKeys} keys, AdaptiveLimit(8), no rate cap;` +
          ` ${done ? 'done' : `STOPPED (${report.stoppedBecause}) at ${count(report.recordsReplayed)}`} in ${(replayMs / 1000).toFixed(1)} s;` +
          ` base = spare capacity (${count(capacity)} - live ${count(offered)}/s offered); check: ${checkText}`,
        unit: 'records/s',
        median: replayRate,
        baselineMedian: spare,
        ratio: replayRate / spare,
        target: 'check: all there, in order per key',
        met: ok,
        check: true,
        display: {
          baseline: `${count(spare)} records/s spare`,
          ratio: `${((replayRate / spare) * 100).toFixed(0)}% of spare`,
        },
      },
      {
        row: '2b',
        measure: `live put of ${LIVE_BATCH} (putRecordsConcurrently, retries included), p50: with the replay vs alone (ratio = with / alone); live got ${count(alone.records / Math.max(alone.seconds, 1e-9))}/s through alone, ${count(liveRate)}/s with (offered ${count(offered)}/s); one PutRecords call p50 ${ms1(callsAlone.median)} alone, ${ms1(callsWith.median)} with`,
        unit: 'ms',
        median: withReplay.latency.median,
        baselineMedian: alone.latency.median,
        ratio: withReplay.latency.median / alone.latency.median,
        target: '-',
        display: { ratio: ratioCell(withReplay.latency.median / alone.latency.median) },
      },
      {
        row: '2c',
        measure: `live put of ${LIVE_BATCH}, p99: with the replay vs alone (ratio = with / alone); puts ${withReplay.latency.n} with, ${alone.latency.n} alone; one call p99 ${ms1(callsAlone.p99)} alone, ${ms1(callsWith.p99)} with; puts started late (behind their key group's last) by up to ${ms1(withReplay.lateMs.max)} with, ${ms1(alone.lateMs.max)} alone; up to ${live.maxInFlight} live puts in flight`,
        unit: 'ms',
        median: withReplay.latency.p99,
        baselineMedian: alone.latency.p99,
        ratio: withReplay.latency.p99 / alone.latency.p99,
        target: '-',
        display: { ratio: ratioCell(withReplay.latency.p99 / alone.latency.p99) },
      },
      {
        row: '2d',
        measure:
          `throttled entries (model: ${count(stats.throttled)} of ${count(stats.accepted + stats.throttled)}): live ${count(liveTally.throttled)} of ${count(liveTally.entries)} sent (${liveTally.throttledCalls} of ${liveTally.calls} calls; results' retriedEntries ${count(live.summary('alone').retried + withReplay.retried + live.summary('after').retried)}),` +
          ` replay ${count(replayTally.throttled)} of ${count(replayTally.entries)} sent (${replayTally.throttledCalls} of ${replayTally.calls} calls; re-sent ${count(replayTally.entries - report.recordsReplayed)})`,
        unit: 'records/s',
        target: '-',
        display: {
          median: `live ${count(liveTally.throttled)}`,
          baseline: `replay ${count(replayTally.throttled)}`,
          ratio: '',
        },
      },
      {
        row: '2e',
        measure: `AdaptiveLimit(8): replay lowest ${replayLimit.history.lowest}, final ${replayLimit.current}, ${replayLimit.history.decreases} decreases; live lowest ${live.limit.history.lowest}, final ${live.limit.current}, ${live.limit.history.decreases} decreases`,
        unit: 'records/s',
        target: '-',
        display: {
          median: `replay ${replayLimit.history.lowest}..${replayLimit.current}`,
          baseline: `live ${live.limit.history.lowest}..${live.limit.current}`,
          ratio: '',
        },
      },
    ];
    rows[0] = {
      ...(rows[0] as RowResult),
      detail: {
        shards: SHARDS,
        shardRecordsPerSecond: SHARD_RECORDS_PER_SECOND,
        shardBytesPerSecond: SHARD_BYTES_PER_SECOND,
        latencyMs: LATENCY_MS,
        replayRecords: sizes.replayRecords,
        replayKeys: sizes.replayKeys,
        replaySpread,
        replayMs,
        replayRate,
        replayReport: { ...report, problems: report.problems.slice(0, 20) },
        liveAlone: alone,
        liveWithReplay: withReplay,
        liveAloneModel: modelAlone,
        liveRate,
        spare,
        model: { ...stats, perShard: stats.perShard },
        tally: {
          live: { ...liveTally, callMs: summarize(liveTally.callMs), callAt: undefined, callsAlone, callsWith },
          replay: { ...replayTally, callMs: summarize(replayTally.callMs), callAt: undefined },
        },
        replayLimit: { ...replayLimit.history, final: replayLimit.current, trace: limitTrace },
        liveLimit: { ...live.limit.history, final: live.limit.current },
        liveSamples: live.samples,
        checks: { live: liveCheck, replay: replayCheck },
      },
    };
    return rows;
  } finally {
    await live?.stop();
    watch.remove();
    tally.remove();
    model.remove();
    kinesis.destroy();
    everything.sqs.destroy();
    everything.s3.destroy();
    await deleteQueue(ctx.sqs, queueUrl);
    await deleteStream(ctx.kinesis, name);
  }
}
