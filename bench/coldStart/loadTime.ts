/**
 * Times loading modules in a fresh Node process: the part of a Lambda cold start the code controls
 * (the runtime's own start-up is the baseline: the same `node` loading nothing).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadTiming {
  /** Spawn to exit, ms. */
  wallMs: number;
  /** The `require`s alone, measured inside the process, ms (0 when there is nothing to load). */
  requireMs: number;
}

/**
 * Runs `node -e` that requires each of `modules` (paths or package names) and reports both times.
 *
 * @example
 * const { wallMs, requireMs } = await timeLoad(['/tmp/task/handlers/ingest.js'], env);
 */
export async function timeLoad(modules: readonly string[], env: NodeJS.ProcessEnv): Promise<LoadTiming> {
  const script = [
    'const t = performance.now();',
    ...modules.map((name) => `require(${JSON.stringify(name)});`),
    'process.stdout.write(String(performance.now() - t));',
    // Some modules keep the loop alive (clients with keep-alive agents); the time is taken already.
    'process.exit(0);',
  ].join('');
  const started = performance.now();
  const { stdout } = await run(process.execPath, ['-e', script], { env, timeout: 30_000 });
  const wallMs = performance.now() - started;
  const requireMs = Number(stdout.trim());
  if (!Number.isFinite(requireMs)) throw new Error(`unexpected output from the load probe: ${stdout.slice(0, 200)}`);
  return { wallMs, requireMs: modules.length ? requireMs : 0 };
}
