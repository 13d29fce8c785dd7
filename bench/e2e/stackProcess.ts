/** Starts the local stack in a child process (see stackChild.ts) and talks to it. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { LocalStackStatus } from '../../local/src/stack';
import type { StackChildInfo, StackChildReply } from './protocol';

export interface StackProcess extends StackChildInfo {
  child: ChildProcess;
  status(): Promise<{ status: LocalStackStatus; mappings: Record<string, Record<string, unknown>> }>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const STATUS_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * @example
 * const stack = await startStackProcess();
 * try { await fetch(`${stack.apiUrl}/telemetry`, ...); } finally { await stack.stop(); }
 */
export async function startStackProcess(env: NodeJS.ProcessEnv = process.env): Promise<StackProcess> {
  const root = path.resolve(__dirname, '..', '..');
  const child = fork(path.join(__dirname, 'stackChild.ts'), [], {
    cwd: root,
    env: { ...env, LOCAL_LOG_LEVEL: env.LOCAL_LOG_LEVEL ?? 'ERROR' },
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_STACK_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_STACK_CPU_PROF}`] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let info: StackChildInfo;
  try {
    info = await new Promise<StackChildInfo>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the local stack did not start within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
      child.once('message', (message: StackChildReply) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.info);
        else reject(new Error('unexpected first message from the stack child'));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stack child exited with code ${code} before it was ready`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  let nextId = 0;
  const status: StackProcess['status'] = () =>
    new Promise((resolve, reject) => {
      const id = (nextId += 1);
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error('the stack child did not answer a status request'));
      }, STATUS_TIMEOUT_MS);
      const onMessage = (message: StackChildReply): void => {
        if (message.type === 'ready' || message.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (message.type === 'status') resolve({ status: message.status, mappings: message.mappings });
        else reject(new Error(message.message));
      };
      child.on('message', onMessage);
      child.send({ type: 'status', id });
    });
  return { ...info, child, status, stop };
}
