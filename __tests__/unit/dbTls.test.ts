import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readDatabaseConfig } from '../../lib/db/config';
import { resolveConnectionTarget } from '../../lib/db/credentials';
import { pgSsl, type TlsConfig } from '../../lib/db/tls';
import { DatabaseTlsError, tlsError } from '../../lib/db/tlsError';
import { ConfigError } from '../../lib/errors';

const URL_ = 'postgres://u:p@db.example.com:5432/telemetry';

function tls(env: Record<string, string>): TlsConfig {
  return readDatabaseConfig({ DATABASE_URL: URL_, ...env }).tls;
}

function tlsOfUrl(query: string, env: Record<string, string> = {}): TlsConfig {
  return readDatabaseConfig({ DATABASE_URL: `${URL_}?${query}`, ...env }).tls;
}

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a throw');
}

describe('database TLS settings', () => {
  it('are off by default, as before', () => {
    expect(tls({})).toEqual({ mode: 'disable' });
    expect(readDatabaseConfig({ DATABASE_SECRET_ARN: 'arn:secret' }).tls).toEqual({ mode: 'disable' });
  });

  it.each([
    ['true', 'verify-full'],
    ['TRUE', 'verify-full'],
    ['1', 'verify-full'],
    ['false', 'disable'],
    ['0', 'disable'],
    ['disable', 'disable'],
    ['require', 'require'],
    ['verify-ca', 'verify-ca'],
    ['verify-full', 'verify-full'],
  ])('DATABASE_SSL=%s means %s', (value, mode) => {
    expect(tls({ DATABASE_SSL: value }).mode).toBe(mode);
  });

  it.each([
    ['disable', 'disable'],
    ['require', 'require'],
    ['no-verify', 'require'],
    ['verify-ca', 'verify-ca'],
    ['verify-full', 'verify-full'],
  ])('sslmode=%s in DATABASE_URL means %s', (value, mode) => {
    expect(tlsOfUrl(`sslmode=${value}`).mode).toBe(mode);
    // Also for the URL that only completes a Secrets Manager secret.
    expect(
      readDatabaseConfig({ DATABASE_SECRET_ARN: 'arn:secret', DATABASE_URL: `${URL_}?sslmode=${value}` }).tls.mode,
    ).toBe(mode);
  });

  it('take DATABASE_SSL and sslmode together when they agree, and refuse them when they do not', () => {
    expect(tlsOfUrl('sslmode=verify-full', { DATABASE_SSL: 'true' }).mode).toBe('verify-full');
    expect(tlsOfUrl('sslmode=disable', { DATABASE_SSL: 'false' }).mode).toBe('disable');
    expect(tlsOfUrl('sslmode=no-verify', { DATABASE_SSL: 'require' }).mode).toBe('require');
    const error = failure(() => tlsOfUrl('sslmode=require', { DATABASE_SSL: 'true' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('DATABASE_SSL=true and sslmode=require in DATABASE_URL disagree: set one of them');
    expect(() => tlsOfUrl('sslmode=verify-full', { DATABASE_SSL: '0' })).toThrow(
      /DATABASE_SSL=0 and sslmode=verify-full/,
    );
  });

  it.each([
    [
      { DATABASE_SSL: 'yes please' },
      'DATABASE_SSL must be true or false (or an sslmode: disable, require, verify-ca, verify-full), got "yes please"',
    ],
    [
      { DATABASE_SSL: 'prefer' },
      'DATABASE_SSL must be true or false (or an sslmode: disable, require, verify-ca, verify-full), got "prefer"',
    ],
  ])('refuse DATABASE_SSL %j, saying what it may be', (env, message) => {
    const error = failure(() => tls(env));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
  });

  it.each(['prefer', 'allow', 'true', 'VERIFY-FULL', ''])(
    'refuse sslmode=%j in DATABASE_URL, saying what it may be',
    (value) => {
      const error = failure(() => tlsOfUrl(`sslmode=${value}`));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(
        'sslmode in DATABASE_URL must be disable, require, verify-ca, verify-full or no-verify, ' +
          `got ${JSON.stringify(value)}`,
      );
    },
  );

  it('take the CA from PGSSLROOTCERT, else sslrootcert in DATABASE_URL', () => {
    expect(tls({ DATABASE_SSL: 'true', PGSSLROOTCERT: '/ca/env.pem' })).toEqual({
      mode: 'verify-full',
      caFile: '/ca/env.pem',
    });
    expect(tlsOfUrl('sslmode=verify-ca&sslrootcert=%2Fca%2Furl.pem')).toEqual({
      mode: 'verify-ca',
      caFile: '/ca/url.pem',
    });
    expect(tlsOfUrl('sslmode=verify-ca&sslrootcert=/ca/url.pem', { PGSSLROOTCERT: '/ca/env.pem' }).caFile).toBe(
      '/ca/env.pem',
    );
    // A CA alone turns nothing on (libpq: sslrootcert means nothing without a verifying sslmode).
    expect(tls({ PGSSLROOTCERT: '/ca/env.pem' }).mode).toBe('disable');
  });

  it('leave the TLS parameters out of what node-postgres is given', async () => {
    const config = readDatabaseConfig({ DATABASE_URL: `${URL_}?sslmode=verify-full&sslrootcert=/ca.pem` });
    // Exactly these keys: node-postgres never sees the URL, so it cannot act on sslmode itself.
    expect(await resolveConnectionTarget(config, undefined)).toStrictEqual({
      host: 'db.example.com',
      port: 5432,
      user: 'u',
      password: 'p',
      database: 'telemetry',
    });
  });
});

describe("node-postgres' ssl option", () => {
  let dir: string;
  let caFile: string;
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'db-tls-'));
    caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, PEM);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is off, encrypted without checks, or verified with the CA file read in', () => {
    expect(pgSsl({ mode: 'disable', caFile })).toBe(false);
    expect(pgSsl({ mode: 'require', caFile })).toEqual({ rejectUnauthorized: false });
    // Without a CA: Node's own CAs plus NODE_EXTRA_CA_CERTS, what deployed functions use for RDS.
    expect(pgSsl({ mode: 'verify-full' })).toEqual({ rejectUnauthorized: true });
    expect(pgSsl({ mode: 'verify-full', caFile })).toEqual({ rejectUnauthorized: true, ca: PEM });
  });

  it('checks the chain but not the host name in verify-ca', () => {
    const options = pgSsl({ mode: 'verify-ca', caFile });
    expect(options).toMatchObject({ rejectUnauthorized: true, ca: PEM });
    const check = options === false ? undefined : options.checkServerIdentity;
    expect(check?.('not-the-name.example', { subject: { CN: 'db.example.com' } } as never)).toBeUndefined();
    expect(pgSsl({ mode: 'verify-full', caFile })).not.toHaveProperty('checkServerIdentity');
  });

  it('names a CA file it cannot read', () => {
    const missing = path.join(dir, 'missing.pem');
    const error = failure(() => pgSsl({ mode: 'verify-full', caFile: missing }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`cannot read the CA file ${missing} (ENOENT)`);
    expect(() => pgSsl({ mode: 'verify-ca', caFile: dir })).toThrow(`cannot read the CA file ${dir} (EISDIR)`);
    // require never reads it: it checks nothing.
    expect(pgSsl({ mode: 'require', caFile: missing })).toEqual({ rejectUnauthorized: false });
  });
});

describe('TLS failures', () => {
  const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

  it.each([
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ])('%s is a certificate failure, with the original as cause', (code) => {
    const original = withCode('some reason', code);
    const error = tlsError(original);
    expect(error).toBeInstanceOf(DatabaseTlsError);
    expect(error).toMatchObject({ failure: 'certificate', code: 'DATABASE_TLS_FAILED', cause: original });
    expect(error?.message).toBe(`TLS certificate not trusted (${code}): some reason`);
  });

  it('tells a server that requires TLS (pg_hba "no encryption", "SSL off" before 14) from other refusals', () => {
    const noEncryption = 'no pg_hba.conf entry for host "10.0.0.1", user "app", database "telemetry", no encryption';
    expect(tlsError(withCode(noEncryption, '28000'))?.failure).toBe('server-requires-tls');
    expect(tlsError(withCode(noEncryption.replace('no encryption', 'SSL off'), '28000'))?.failure).toBe(
      'server-requires-tls',
    );
    expect(tlsError(withCode('no pg_hba.conf entry for host "10.0.0.1", SSL encryption', '28000'))).toBeUndefined();
    expect(tlsError(withCode('password authentication failed for user "app"', '28P01'))).toBeUndefined();
  });

  it('tells a server without TLS, and leaves every other error alone', () => {
    expect(tlsError(new Error('The server does not support SSL connections'))?.failure).toBe('server-lacks-tls');
    expect(tlsError(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBeUndefined();
    expect(tlsError('not an error')).toBeUndefined();
  });
});
