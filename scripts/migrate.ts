/**
 * `npm run migrate [-- --ca FILE]`: applies pending migrations. Reads the same settings as the
 * functions: DATABASE_URL, or DATABASE_SECRET_ARN (with AWS credentials); TLS from DATABASE_SSL or
 * `sslmode` in DATABASE_URL, the CA from PGSSLROOTCERT or `sslrootcert` (lib/db/tls.ts), and `--ca`
 * over both. Connect directly to Postgres, not through pgbouncer or RDS Proxy in transaction mode:
 * the migration lock is a session advisory lock.
 *
 * A failure is one message on stderr and exit code 1; a TLS failure says what to set. Nothing printed
 * carries the password (messages are scrubbed of it) or DATABASE_URL itself.
 */
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { createSecretsManagerClient } from '../lib/aws/secretsClient';
import { readAwsConfig } from '../lib/config';
import { readDatabaseConfig } from '../lib/db/config';
import { resolveConnectionTarget } from '../lib/db/credentials';
import { applyMigrations } from '../lib/db/migrate';
import { pgSsl, type TlsConfig } from '../lib/db/tls';
import { tlsError } from '../lib/db/tlsError';
import { ConfigError, errorCode, errorMessage, PipelineError } from '../lib/errors';

const USAGE = `usage: npm run migrate [-- --ca FILE]
  DATABASE_URL   postgres://user:pass@host:5432/db[?sslmode=verify-full&sslrootcert=FILE] (or DATABASE_SECRET_ARN)
  DATABASE_SSL   true (= verify-full), false, disable, require, verify-ca or verify-full; else sslmode; else off
  --ca FILE      CA bundle to verify the server with; overrides PGSSLROOTCERT, then sslrootcert`;

const RDS_CA_BUNDLE = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';
const ALTNAME_INVALID = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** What to do about a failed connect, by why TLS stopped it; undefined when TLS did not. */
function tlsAdvice(error: unknown, tls: TlsConfig, host: string): string | undefined {
  const failure = tlsError(error);
  if (failure === undefined) return undefined;
  if (failure.failure === 'server-requires-tls')
    return [
      'the server refuses connections without TLS (as RDS and Aurora do by default).',
      'Set sslmode=verify-full in DATABASE_URL (or DATABASE_SSL=verify-full), with the server CA in',
      'PGSSLROOTCERT=<file> or --ca <file>; sslmode=require encrypts without verifying the server (not recommended).',
    ].join('\n');
  if (failure.failure === 'server-lacks-tls')
    return [
      'the server does not support TLS. If that is expected (a local database), connect without it:',
      'sslmode=disable in DATABASE_URL or DATABASE_SSL=false.',
    ].join('\n');
  const code = errorCode(failure.cause);
  if (code === ALTNAME_INVALID)
    return [
      `the server's certificate is not issued for "${host}" (${code}).`,
      "Connect by a name the certificate carries (the database's endpoint, not an IP address or a tunnel's localhost),",
      'or set sslmode=verify-ca to check the certificate chain but not the name.',
    ].join('\n');
  return [
    `the server's TLS certificate could not be verified (${code}: ${errorMessage(failure.cause)}).`,
    tls.caFile === undefined
      ? "No CA is set, so only Node's built-in CAs were tried."
      : `The CA in ${tls.caFile} does not vouch for it: is it the right bundle?`,
    `For RDS or Aurora, download the CA bundle ${RDS_CA_BUNDLE}`,
    'and set PGSSLROOTCERT=<file> or pass --ca <file> (npm run migrate -- --ca global-bundle.pem).',
    'sslmode=require encrypts without verifying the server (not recommended).',
  ].join('\n');
}

/** Node reports each address it tried (happy eyeballs) in an AggregateError with an empty message. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(errorMessage).join('; ');
  return errorMessage(error);
}

/** Values never to print: the password from DATABASE_URL or the secret. */
const secrets: string[] = [];

function scrub(text: string): string {
  let out = text;
  // Shorter ones would blank out ordinary words; no real password is that short.
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***');
  return out;
}

async function main(argv: readonly string[]): Promise<void> {
  let values: { ca?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ca: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new ConfigError(`${errorMessage(error).split('. ')[0]}\n${USAGE}`, { cause: error });
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!process.env.DATABASE_URL && !process.env.DATABASE_SECRET_ARN) {
    throw new ConfigError(
      'set DATABASE_URL (e.g. postgres://user:pass@127.0.0.1:5432/telemetry) or DATABASE_SECRET_ARN',
    );
  }
  // --ca replaces PGSSLROOTCERT and sslrootcert rather than having to agree with them.
  const database = readDatabaseConfig(process.env);
  if (values.ca !== undefined) {
    if (database.tls.mode === 'disable' || database.tls.mode === 'require')
      throw new ConfigError(
        `--ca is given but the TLS mode is ${database.tls.mode}, which checks no certificate: ` +
          'add sslmode=verify-full to DATABASE_URL or set DATABASE_SSL=verify-full',
      );
    database.tls.caFile = values.ca;
  }
  const ssl = pgSsl(database.tls);
  // Caught here, a bundle saved as an error page is a clear message instead of a failed handshake.
  if (ssl && typeof ssl.ca === 'string' && !ssl.ca.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(`the CA file ${database.tls.caFile} holds no PEM certificate`);
  const target = await resolveConnectionTarget(
    database,
    database.source.kind === 'secret' ? createSecretsManagerClient(readAwsConfig(process.env)) : undefined,
  );
  if (typeof target.password === 'string') secrets.push(target.password);
  const client = new Client({ ...target, ssl, application_name: 'telemetry-migrate' });
  // Without a listener a socket dying mid-migration would end the process with a stack trace; the
  // failing query reports the same error.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const where = `${target.host}:${target.port}/${target.database}`;
    const why = tlsAdvice(error, database.tls, String(target.host)) ?? describe(error);
    throw new PipelineError('DATABASE_CONNECT_FAILED', `cannot connect to ${where}: ${why}`, { cause: error });
  }
  try {
    const applied = await applyMigrations(client);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await client.end();
  }
}

try {
  secrets.push(decodeURIComponent(new URL(process.env.DATABASE_URL ?? '').password));
} catch {
  // Not a URL (readDatabaseConfig says so) or none: nothing to scrub from it.
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`migrate: ${scrub(describe(error))}`);
  process.exit(1);
});
