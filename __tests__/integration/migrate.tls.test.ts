/**
 * `npm run migrate` and the functions' connection against a TLS-only Postgres (local/src/tlsPostgres.ts:
 * pg_hba.conf with hostssl lines only, as RDS and Aurora by default), with a throw-away CA, so every
 * verification here is real. The migrate runs are the real command (tsx scripts/migrate.ts) in a
 * child process; exit code and output are what a person would see.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { readDatabaseConfig } from '../../lib/db/config';
import { DatabaseConnection } from '../../lib/db/connection';
import { tlsError } from '../../lib/db/tlsError';
import { errorCode } from '../../lib/errors';
import { startTlsPostgres, type TlsPostgres } from '../../local/src/tlsPostgres';
import { MIGRATION_NAMES } from '../helpers/local';

const root = path.resolve(__dirname, '..', '..');
const RDS_CA_BUNDLE = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Every migrate run's output, to check at the end that no password ever reached it.
const outputs: string[] = [];

// The settings under test come from each test alone, not from whoever runs jest.
const inherited = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(DATABASE_|PGSSL)/.test(name) && name !== 'NODE_EXTRA_CA_CERTS' && name !== 'PGPASSWORD',
  ),
);

// At most two runs at once: each is a Node process compiling TypeScript, and the machine is shared.
const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function migrate(env: Record<string, string>, args: string[] = []): Promise<Outcome> {
  if (running < MAX_RUNNING) running += 1;
  // A finished run hands its slot straight to the next waiting one.
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await runMigrate(env, args);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

function runMigrate(env: Record<string, string>, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'scripts/migrate.ts', ...args],
      { cwd: root, env: { ...inherited, ...env }, timeout: 45_000 },
      (error, stdout, stderr) => {
        outputs.push(stdout, stderr);
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function withQuery(url: string, query: string): string {
  return `${url}?${query}`;
}

let server: TlsPostgres;
// Same setup, but its certificate is issued for db.rehearsal.internal only: connecting to 127.0.0.1
// is a host name mismatch, the CA still vouches for the chain.
let otherName: TlsPostgres;
let ca: string;

/** A verified connection (chain and, unless `nameUnchecked`, host name) straight to `url`'s server. */
async function verifiedClient(url: string, caPem: string, nameUnchecked = false): Promise<Client> {
  const { hostname, port, username, password, pathname } = new URL(url);
  const client = new Client({
    host: hostname,
    port: Number(port),
    user: decodeURIComponent(username),
    password: decodeURIComponent(password),
    database: decodeURIComponent(pathname.slice(1)),
    ssl: { ca: caPem, rejectUnauthorized: true, ...(nameUnchecked ? { checkServerIdentity: () => undefined } : {}) },
  });
  await client.connect();
  return client;
}

/** A new empty database on `on`, as a URL without sslmode. */
async function freshDatabase(on: TlsPostgres, nameUnchecked = false): Promise<string> {
  const name = `migrate_${randomBytes(4).toString('hex')}`;
  const client = await verifiedClient(on.url, await readFile(on.caFile, 'utf8'), nameUnchecked);
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(on.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The migrations recorded in a database, read over a verified connection. */
async function appliedMigrations(url: string, on: TlsPostgres, nameUnchecked = false): Promise<string[]> {
  const client = await verifiedClient(url, await readFile(on.caFile, 'utf8'), nameUnchecked);
  try {
    const { rows } = await client.query<{ name: string; ssl: boolean }>(
      `SELECT name, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl
         FROM schema_migrations ORDER BY name`,
    );
    expect(rows.every((row) => row.ssl)).toBe(true);
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

function expectOneCleanMessage(outcome: Outcome): void {
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr.startsWith('migrate: ')).toBe(true);
  // A message, not a stack trace.
  expect(outcome.stderr).not.toMatch(/^\s+at /m);
}

beforeAll(async () => {
  [server, otherName] = await Promise.all([
    startTlsPostgres(),
    startTlsPostgres({ altNames: ['DNS:db.rehearsal.internal'] }),
  ]);
  ca = await readFile(server.caFile, 'utf8');
}, 90_000);

afterAll(async () => {
  await Promise.all([server?.stop(), otherName?.stop()]);
});

describe('npm run migrate against a TLS-only Postgres', () => {
  it('applies the migrations with verify-full and PGSSLROOTCERT; DATABASE_SSL=true then finds them', async () => {
    const url = await freshDatabase(server);
    const first = await migrate({ DATABASE_URL: withQuery(url, 'sslmode=verify-full'), PGSSLROOTCERT: server.caFile });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`applied: ${MIGRATION_NAMES.join(', ')}`);
    expect(await appliedMigrations(url, server)).toEqual(MIGRATION_NAMES);

    // The deployed functions' setting (DATABASE_SSL=true), with the CA given the libpq way.
    const second = await migrate({ DATABASE_URL: url, DATABASE_SSL: 'true', PGSSLROOTCERT: server.caFile });
    expect(second).toMatchObject({ code: 0, stdout: 'schema is up to date\n' });
  });

  it('takes the CA from --ca, over PGSSLROOTCERT, and from sslrootcert in DATABASE_URL', async () => {
    const [viaFlag, viaUrl] = await Promise.all([freshDatabase(server), freshDatabase(server)]);
    const [flag, inUrl] = await Promise.all([
      // PGSSLROOTCERT names a file that does not exist: only --ca can make this pass.
      migrate({ DATABASE_URL: viaFlag, DATABASE_SSL: 'verify-full', PGSSLROOTCERT: '/nonexistent/ca.pem' }, [
        '--ca',
        server.caFile,
      ]),
      migrate({
        DATABASE_URL: withQuery(viaUrl, `sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}`),
      }),
    ]);
    expect(flag).toMatchObject({ code: 0, stderr: '' });
    expect(inUrl).toMatchObject({ code: 0, stderr: '' });
    expect(await appliedMigrations(viaFlag, server)).toEqual(MIGRATION_NAMES);
    expect(await appliedMigrations(viaUrl, server)).toEqual(MIGRATION_NAMES);
  });

  it('fails verification without the CA (or with the wrong one) and says to set PGSSLROOTCERT or --ca', async () => {
    const url = await freshDatabase(server);
    const [noCa, wrongCa] = await Promise.all([
      migrate({ DATABASE_URL: url, DATABASE_SSL: 'true' }),
      migrate({ DATABASE_URL: withQuery(url, 'sslmode=verify-full'), PGSSLROOTCERT: otherName.caFile }),
    ]);
    for (const outcome of [noCa, wrongCa]) {
      expectOneCleanMessage(outcome);
      expect(outcome.stderr).toContain("the server's TLS certificate could not be verified");
      expect(outcome.stderr).toContain('PGSSLROOTCERT=<file>');
      expect(outcome.stderr).toContain('--ca <file>');
      expect(outcome.stderr).toContain(RDS_CA_BUNDLE);
      expect(outcome.stderr).toContain('sslmode=require encrypts without verifying the server (not recommended)');
    }
    // The server sends its certificate alone; Node knows no issuer for it.
    expect(noCa.stderr).toContain('(UNABLE_TO_VERIFY_LEAF_SIGNATURE:');
    expect(noCa.stderr).toContain("No CA is set, so only Node's built-in CAs were tried.");
    expect(wrongCa.stderr).toContain(`The CA in ${otherName.caFile} does not vouch for it`);
    // Nothing was applied.
    const client = await verifiedClient(url, ca);
    try {
      const { rows } = await client.query(`SELECT to_regclass('schema_migrations') AS t`);
      expect(rows).toEqual([{ t: null }]);
    } finally {
      await client.end();
    }
  });

  it('connects encrypted but unverified with sslmode=require, no CA needed', async () => {
    const url = await freshDatabase(server);
    const outcome = await migrate({ DATABASE_URL: withQuery(url, 'sslmode=require') });
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(await appliedMigrations(url, server)).toEqual(MIGRATION_NAMES);
  });

  it('says the server requires TLS when connecting without it (no setting, or sslmode=disable)', async () => {
    const url = await freshDatabase(server);
    const outcomes = await Promise.all([
      migrate({ DATABASE_URL: url }),
      migrate({ DATABASE_URL: withQuery(url, 'sslmode=disable') }),
    ]);
    for (const outcome of outcomes) {
      expectOneCleanMessage(outcome);
      expect(outcome.stderr).toContain('the server refuses connections without TLS');
      expect(outcome.stderr).toContain('Set sslmode=verify-full in DATABASE_URL (or DATABASE_SSL=verify-full), with');
      expect(outcome.stderr).toContain('PGSSLROOTCERT=<file>');
    }
  });

  it('with a certificate for another host name: verify-full fails and says so, verify-ca passes', async () => {
    const url = await freshDatabase(otherName, true);
    const full = await migrate({
      DATABASE_URL: withQuery(url, 'sslmode=verify-full'),
      PGSSLROOTCERT: otherName.caFile,
    });
    expectOneCleanMessage(full);
    expect(full.stderr).toContain(
      `the server's certificate is not issued for "127.0.0.1" (ERR_TLS_CERT_ALTNAME_INVALID)`,
    );
    expect(full.stderr).toContain('sslmode=verify-ca');

    const chainOnly = await migrate({
      DATABASE_URL: withQuery(url, 'sslmode=verify-ca'),
      PGSSLROOTCERT: otherName.caFile,
    });
    expect(chainOnly).toMatchObject({ code: 0, stderr: '' });
    expect(await appliedMigrations(url, otherName, true)).toEqual(MIGRATION_NAMES);
  });

  it('says to use sslmode=disable when the server has no TLS at all', async () => {
    // The shared test Postgres (globalSetup) runs without TLS.
    const plain = process.env.TEST_DATABASE_URL;
    if (!plain) throw new Error('TEST_DATABASE_URL is not set: is globalSetup running?');
    const outcome = await migrate({ DATABASE_URL: withQuery(plain, 'sslmode=require') });
    expectOneCleanMessage(outcome);
    expect(outcome.stderr).toContain('the server does not support TLS');
    expect(outcome.stderr).toContain('sslmode=disable in DATABASE_URL or DATABASE_SSL=false');
  });

  it('refuses contradictory or unusable settings before connecting, and prints usage for --help', async () => {
    const url = server.url;
    const notPem = path.join(root, 'package.json');
    const [conflict, missingCa, htmlCa, caWithoutTls, unknownFlag, help] = await Promise.all([
      migrate({ DATABASE_URL: withQuery(url, 'sslmode=verify-full'), DATABASE_SSL: 'disable' }),
      migrate({ DATABASE_URL: withQuery(url, 'sslmode=verify-full'), PGSSLROOTCERT: '/nonexistent/ca.pem' }),
      migrate({ DATABASE_URL: withQuery(url, 'sslmode=verify-full') }, ['--ca', notPem]),
      migrate({ DATABASE_URL: url }, ['--ca', server.caFile]),
      migrate({ DATABASE_URL: url }, ['--cafile', server.caFile]),
      migrate({}, ['--help']),
    ]);
    for (const outcome of [conflict, missingCa, htmlCa, caWithoutTls, unknownFlag]) expectOneCleanMessage(outcome);
    expect(conflict.stderr).toBe(
      'migrate: DATABASE_SSL=disable and sslmode=verify-full in DATABASE_URL disagree: set one of them\n',
    );
    expect(missingCa.stderr).toBe('migrate: cannot read the CA file /nonexistent/ca.pem (ENOENT)\n');
    expect(htmlCa.stderr).toBe(`migrate: the CA file ${notPem} holds no PEM certificate\n`);
    expect(caWithoutTls.stderr).toBe(
      'migrate: --ca is given but the TLS mode is disable, which checks no certificate: ' +
        'add sslmode=verify-full to DATABASE_URL or set DATABASE_SSL=verify-full\n',
    );
    expect(unknownFlag.stderr).toContain("Unknown option '--cafile'");
    expect(unknownFlag.stderr).toContain('usage: npm run migrate [-- --ca FILE]');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: npm run migrate \[-- --ca FILE\]\n/);
    expect(help.stdout).toContain('PGSSLROOTCERT');
  });

  it('never prints a password (nor so a URL carrying one)', () => {
    expect(outputs.length).toBeGreaterThan(20);
    const plainPassword = process.env.TEST_DATABASE_URL
      ? decodeURIComponent(new URL(process.env.TEST_DATABASE_URL).password)
      : undefined;
    for (const output of outputs) {
      expect(output).not.toContain(server.password);
      expect(output).not.toContain(otherName.password);
      if (plainPassword) expect(output).not.toContain(plainPassword);
    }
  });
});

describe("the functions' DatabaseConnection over TLS", () => {
  it('connects with verify-full and the CA, and refuses the server without it', async () => {
    const url = withQuery(server.url, 'sslmode=verify-full');
    const db = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: url, PGSSLROOTCERT: server.caFile }));
    try {
      const { rows } = await db.query<{ ssl: boolean; version: string }>(
        'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows).toEqual([{ ssl: true, version: expect.stringMatching(/^TLSv1\.[23]$/) }]);
    } finally {
      await db.close();
    }

    // As deployed (DATABASE_SSL=true, Node's CAs): this CA is not among them.
    const untrusting = new DatabaseConnection(readDatabaseConfig({ DATABASE_URL: server.url, DATABASE_SSL: 'true' }));
    const error = await untrusting.query('SELECT 1').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(errorCode(error)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(tlsError(error)?.failure).toBe('certificate');
    await untrusting.close();
  });

  it('checks the chain but not the name with verify-ca; verify-full catches the name', async () => {
    const env = { PGSSLROOTCERT: otherName.caFile };
    const chainOnly = new DatabaseConnection(
      readDatabaseConfig({ ...env, DATABASE_URL: withQuery(otherName.url, 'sslmode=verify-ca') }),
    );
    try {
      expect((await chainOnly.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await chainOnly.close();
    }
    const full = new DatabaseConnection(
      readDatabaseConfig({ ...env, DATABASE_URL: withQuery(otherName.url, 'sslmode=verify-full') }),
    );
    await expect(full.query('SELECT 1')).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await full.close();
  });
});
