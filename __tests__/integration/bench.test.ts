/**
 * The benchmark's own machinery: statistics, the alternating runner, the scaled baseline, argument
 * parsing and the table, plus rows 3a-3d run small against the real local services (their checks
 * throw when a record is lost, so a passing run means every record went where it should). No timing
 * is asserted: timing targets belong to `npm run bench`, not to tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { alternate } from '../../bench/alternate';
import { timeLoad } from '../../bench/coldStart/loadTime';
import type { BenchContext } from '../../bench/context';
import { BenchUsageError, parseBenchArgs } from '../../bench/options';
import type { RowResult } from '../../bench/result';
import { kinesisCeilingRow } from '../../bench/rows/kinesisCeiling';
import { relayRow } from '../../bench/rows/relay';
import { replayRow } from '../../bench/rows/replay';
import { quantile, summarize } from '../../bench/stats';
import { cells, markdownTable } from '../../bench/table';
import { ceilingShare, throughputRow } from '../../bench/throughput';
import { testAwsConfig, testKinesis, testSqs } from '../helpers/local';

describe('statistics', () => {
  it('takes nearest-rank quantiles, so every reported value is one that was measured', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(quantile(values, 0.5)).toBe(10);
    expect(quantile(values, 0.95)).toBe(19);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(summarize([12, 10, 11])).toMatchObject({ n: 3, median: 11, p95: 12, min: 10, max: 12 });
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('alternate', () => {
  it('flips the order every round and drops the warm-up rounds', async () => {
    const calls: string[] = [];
    const trial = (name: 'A' | 'B') => async (round: number) => {
      calls.push(`${name}${round}`);
      return round * (name === 'A' ? 1 : 10);
    };
    const rounds: number[] = [];
    const { a, b } = await alternate(trial('A'), trial('B'), {
      rounds: 3,
      warmup: 1,
      onRound: (round) => rounds.push(round),
    });
    expect(calls).toEqual(['A0', 'B0', 'B1', 'A1', 'A2', 'B2', 'B3', 'A3']);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([10, 20, 30]);
    expect(rounds).toEqual([0, 1, 2]);
  });

  it('stops starting rounds after its time limit, but always measures one', async () => {
    let calls = 0;
    const trial = async (): Promise<number> => {
      calls += 1;
      return 1;
    };
    const { a } = await alternate(trial, trial, { rounds: 1_000, timeLimitMs: 0 });
    expect(a).toHaveLength(1);
    expect(calls).toBe(2);
  });
});

describe('throughputRow', () => {
  it('scales the sampled baseline to the full record count and compares medians', () => {
    const row = throughputRow(
      {
        row: '3a',
        measure: 'relay',
        baseline: 'PutRecord per record',
        target: '>= 20x',
        targetRatio: 20,
        ceilingRate: 2_000,
      },
      { records: 1_000, sampleRecords: 100, rounds: 3 },
      { a: [900, 1_000, 1_100], b: [400, 500, 600] },
    );
    expect(row.median).toBe(1);
    expect(row.baselineMedian).toBe(5);
    expect(row.ratio).toBe(5);
    expect(row.met).toBe(false);
    expect(row.detail).toMatchObject({ recordsPerSecond: 1_000, shareOfCeiling: 0.5 });
    expect(row.measure).toContain('1,000/s = 50% of 3d');
  });

  it('leaves a reference row without a verdict', () => {
    const row = throughputRow(
      { row: '3d', measure: 'raw', baseline: 'raw', target: 'none', targetRatio: undefined },
      { records: 10, sampleRecords: 10, rounds: 1 },
      { a: [1], b: [2] },
    );
    expect(row.met).toBeUndefined();
    expect(ceilingShare(1, undefined)).toBe('');
  });
});

describe('parseBenchArgs', () => {
  it('gives the full sizes by default and smaller ones with --quick', () => {
    const full = parseBenchArgs([]);
    expect(full.throughput.records).toBe(100_000);
    expect(full.endToEnd).toMatchObject({ eventsPerSecond: 2_000, durationSeconds: 30 });
    expect([...full.rows]).toEqual(['1', '2', '3', '4', '5']);
    const quick = parseBenchArgs(['--quick', '--only', '3,5', '--rate', '500']);
    expect(quick.throughput.records).toBeLessThan(full.throughput.records);
    expect([...quick.rows]).toEqual(['3', '5']);
    expect(quick.endToEnd.eventsPerSecond).toBe(500);
    expect(quick.outFile).toBe('bench/results-quick.json');
  });

  it('refuses what it does not know, with the usage', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--only', '7'])).toThrow(/row numbers 1-5/);
    expect(() => parseBenchArgs(['--rate', '-3'])).toThrow(/--rate/);
  });
});

describe('table', () => {
  const row: RowResult = {
    row: '2',
    measure: 'a | b',
    unit: 'ms',
    median: 41.234,
    p95: 50,
    baselineMedian: 600,
    ratio: 14.55,
    target: '>= 20x',
    met: false,
  };

  it('formats each cell and escapes pipes in markdown', () => {
    expect(cells(row)).toEqual(['2', 'a | b', '41.2 ms', '50.0 ms', '600 ms', '14.6x', '>= 20x', 'NO']);
    const lines = markdownTable([row]).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('a \\| b');
  });
});

describe('timeLoad', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bench-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a module in a fresh process and reports both times', async () => {
    const file = path.join(dir, 'handler.js');
    await writeFile(file, 'exports.handler = async () => 1;\n');
    const timing = await timeLoad([file], { PATH: process.env.PATH });
    expect(Number.isFinite(timing.wallMs)).toBe(true);
    expect(Number.isFinite(timing.requireMs)).toBe(true);
    expect((await timeLoad([], { PATH: process.env.PATH })).requireMs).toBe(0);
  });

  it('fails when the module does not load', async () => {
    await expect(timeLoad([path.join(dir, 'missing.js')], { PATH: process.env.PATH })).rejects.toThrow(
      /Cannot find module/,
    );
  });
});

describe('rows 3a-3d against the local services, small', () => {
  let ctx: BenchContext;
  beforeAll(() => {
    const aws = testAwsConfig();
    ctx = {
      services: {
        kinesisEndpoint: aws.kinesisEndpoint ?? '',
        sqsEndpoint: aws.sqsEndpoint ?? '',
        ssmEndpoint: aws.ssmEndpoint ?? '',
        databaseUrl: process.env.TEST_DATABASE_URL ?? '',
      },
      aws,
      kinesis: testKinesis(),
      sqs: testSqs(),
      log: () => undefined,
    };
  });
  afterAll(() => {
    ctx.kinesis.destroy();
    ctx.sqs.destroy();
  });
  const sizes = { records: 1_200, sampleRecords: 60, rounds: 1 };

  it('measures the emulator ceiling, the relay and both replays, every record accounted for', async () => {
    const [ceiling] = await kinesisCeilingRow(ctx, sizes);
    const rate = ceiling?.detail?.recordsPerSecond as number;
    expect(rate).toBeGreaterThan(0);
    const [relay] = await relayRow(ctx, sizes, rate);
    const [messages] = await replayRow(ctx, 'record-messages', sizes, rate);
    const [ranges] = await replayRow(ctx, 'on-failure-ranges', sizes, rate);
    expect([ceiling?.row, relay?.row, messages?.row, ranges?.row]).toEqual(['3d', '3a', '3b', '3c']);
    for (const row of [ceiling, relay, messages, ranges]) {
      expect(row?.detail).toMatchObject({ records: 1_200, sampleRecords: 60, rounds: 1 });
      expect(row?.ratio).toBeGreaterThan(0);
      expect(row?.measure).toContain('1,200 records');
    }
    // ~750 B per record as base64 JSON: 1,200 of them need several 256 KiB messages; on-failure: one per 1,000.
    expect(messages?.detail?.messages).toBeGreaterThan(1);
    expect(ranges?.detail?.messages).toBe(2);
  }, 60_000);
});
