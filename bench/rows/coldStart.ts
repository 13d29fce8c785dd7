/**
 * Row 5: each function's zipped size (serverless package --stage dev) and the time to load its
 * bundle in a fresh Node process, against the same process loading nothing, alternating.
 *
 * The bundle is loaded as Lambda loads it: from its unzipped folder, with the AWS SDK v3 (left out of
 * every zip) resolved from outside the bundle as the runtime provides it (here from this checkout's
 * node_modules via NODE_PATH), the environment serverless.yml gives every function (with placeholder
 * values: nothing connects while a module loads), and `NODE_OPTIONS=--enable-source-maps` as deployed.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ZIP_TARGET_BYTES } from '../../scripts/bundle-sizes';
import { alternate } from '../alternate';
import { packageService } from '../coldStart/packageService';
import { timeLoad, type LoadTiming } from '../coldStart/loadTime';
import { unzipBundle } from '../coldStart/unzipBundle';
import type { RowResult } from '../result';
import { summarize } from '../stats';

export interface ColdStartOptions {
  rounds: number;
}

/** What serverless.yml sets for the functions (provider and function environments), placeholder values. */
function deployedEnv(root: string): NodeJS.ProcessEnv {
  const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/telemetry-pipeline-dev-telemetry';
  return {
    PATH: process.env.PATH,
    NODE_PATH: path.join(root, 'node_modules'),
    NODE_OPTIONS: '--enable-source-maps',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TELEMETRY_STREAM_NAME: 'telemetry-pipeline-dev-telemetry',
    TELEMETRY_STREAM_ARN: arn,
    DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/telemetry-pipeline-dev-dlq',
    DLQ_MAX_MESSAGE_BYTES: '262144',
    API_KEYS_PATH: '/telemetry-pipeline/dev/api-keys/',
    CURSOR_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:telemetry-pipeline/dev/cursor-secret',
    POWERTOOLS_SERVICE_NAME: 'telemetry-pipeline',
    POWERTOOLS_METRICS_NAMESPACE: 'TelemetryPipeline/dev',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    MAX_BODY_BYTES: '5242880',
    RELAY_TARGETS: 'arn:aws:kinesis:us-east-1:123456789012:stream/telemetry-pipeline-dev-relay-target',
    DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:telemetry-pipeline/dev/database',
    DATABASE_SSL: 'true',
    DATABASE_STATEMENT_TIMEOUT_MS: '5000',
  };
}

/** The AWS SDK packages a bundle leaves to the runtime (`require("@aws-sdk/...")` in its code). */
async function externalSdkModules(file: string): Promise<string[]> {
  const code = await readFile(file, 'utf8');
  return [
    ...new Set([...code.matchAll(/require\(["'](@aws-sdk\/[^"']+)["']\)/g)].map((match) => match[1] as string)),
  ].sort();
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * @example
 * const rows = await coldStartRow(root, { rounds: 10 }, log);
 */
export async function coldStartRow(
  root: string,
  options: ColdStartOptions,
  log: (line: string) => void,
): Promise<RowResult[]> {
  log('cold start: serverless package --stage dev (offline, in a temporary directory)');
  const service = await packageService(root);
  try {
    log(`cold start: packaged ${service.functions.join(', ')} in ${(service.packageMs / 1000).toFixed(1)} s`);
    const env = deployedEnv(root);
    const rows: RowResult[] = [];
    for (const name of service.functions) {
      const bundle = await unzipBundle(
        path.join(service.packageDir, `${name}.zip`),
        path.join(service.dir, 'task', name),
      );
      const handlerFile = bundle.files.find((file) => file === `handlers/${name}.js`);
      if (!handlerFile) throw new Error(`${name}.zip has no handlers/${name}.js (files: ${bundle.files.join(', ')})`);
      const modulePath = path.join(bundle.dir, handlerFile);
      const sdkModules = await externalSdkModules(modulePath);
      const requireMs: number[] = [];
      const sdkRequireMs: number[] = [];
      const load = async (): Promise<number> => {
        const timing: LoadTiming = await timeLoad([modulePath], env);
        requireMs.push(timing.requireMs);
        // Right after, under the same conditions: how much of that is the SDK the runtime provides.
        sdkRequireMs.push((await timeLoad(sdkModules, env)).requireMs);
        return timing.wallMs;
      };
      const empty = async (): Promise<number> => (await timeLoad([], env)).wallMs;
      const { a, b } = await alternate(load, empty, { rounds: options.rounds, warmup: 1 });
      const ours = summarize(a);
      const baseline = summarize(b);
      const inside = summarize(requireMs.slice(-a.length));
      const sdk = summarize(sdkRequireMs.slice(-a.length));
      log(
        `cold start: ${name} ${kib(bundle.zipBytes)} zipped, load ${ours.median.toFixed(0)} ms vs empty node ${baseline.median.toFixed(0)} ms`,
      );
      rows.push({
        row: '5',
        measure: `cold start, ${name}: ${kib(bundle.zipBytes)} zipped; a fresh node requiring the bundle | base: node requiring nothing. The require: ${inside.median.toFixed(0)} ms, ~${sdk.median.toFixed(0)} ms of it the runtime's SDK (${sdkModules.map((m) => m.replace('@aws-sdk/client-', '')).join(', ')})`,
        unit: 'ms',
        median: ours.median,
        p95: ours.p95,
        baselineMedian: baseline.median,
        display: { ratio: `+${(ours.median - baseline.median).toFixed(0)} ms` },
        target: `<= ${ZIP_TARGET_BYTES / 1024} KiB zipped`,
        met: bundle.zipBytes <= ZIP_TARGET_BYTES,
        detail: {
          function: name,
          zipBytes: bundle.zipBytes,
          unzippedBytes: bundle.unzippedBytes,
          files: bundle.files,
          rounds: a.length,
          loadMs: ours,
          emptyNodeMs: baseline,
          requireMs: inside,
          sdkModules,
          sdkRequireMs: sdk,
          packageMs: service.packageMs,
        },
      });
    }
    return rows;
  } finally {
    await service.remove();
  }
}
