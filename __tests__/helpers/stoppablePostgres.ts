/**
 * A Postgres of a test's own that it may stop and start (outage tests), so the shared test Postgres
 * is never disturbed. Runs in a child process (local/src/postgresEntry.ts); the child cleans up
 * after itself even if this process dies.
 *
 * @example
 * const pg = await startStoppablePostgres();
 * try {
 *   const client = new Client({ connectionString: pg.url });
 *   await pg.stop();   // connections drop, new ones are refused
 *   await pg.start();  // same port, same data
 * } finally {
 *   await pg.close();
 * }
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface StoppablePostgres {
  /** Connection URL of the `postgres` database (same after stop/start). */
  readonly url: string;
  /** Fast shutdown: open connections are terminated (57P01), new ones refused until `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops Postgres for good and removes its data directory. Idempotent. */
  close(): Promise<void>;
}

type Reply = { id: number; ok: boolean; error?: string };
const COMMAND_TIMEOUT_MS = 30_000;

export async function startStoppablePostgres(): Promise<StoppablePostgres> {
  const root = path.resolve(__dirname, '..', '..');
  const child: ChildProcess = fork(path.join(root, 'local', 'src', 'postgresEntry.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stoppable postgres did not start within 60 s')), 60_000);
    child.once('message', (message: { ready?: { url: string } }) => {
      clearTimeout(timer);
      if (message.ready) resolve(message.ready.url);
      else reject(new Error('unexpected first message from the postgres child'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres child exited with code ${code} before it was ready`));
    });
  });

  let nextId = 0;
  const command = (name: 'stop' | 'start' | 'exit'): Promise<void> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null || !child.connected) {
        reject(new Error(`postgres child is gone; cannot ${name}`));
        return;
      }
      const id = (nextId += 1);
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`postgres child did not ${name} within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      const onMessage = (reply: Reply): void => {
        if (reply.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (reply.ok) resolve();
        else reject(new Error(`postgres child could not ${name}: ${reply.error ?? 'unknown error'}`));
      };
      child.on('message', onMessage);
      child.send({ id, command: name });
    });

  let closed: Promise<void> | undefined;
  return {
    url,
    stop: () => command('stop'),
    start: () => command('start'),
    close: () => {
      closed ??= (async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        await command('exit').catch(() => child.kill('SIGTERM'));
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, 15_000).unref());
        await Promise.race([exited, timeout]);
        if (child.exitCode === null) child.kill('SIGKILL');
      })();
      return closed;
    },
  };
}
