/**
 * Database settings read once at cold start. Locally a plain `DATABASE_URL`; deployed stages name a
 * Secrets Manager secret (`DATABASE_SECRET_ARN`) so no password sits in the function's environment.
 */
import { ConfigError } from '../errors';
import { integer, optionalString, type Env } from '../config';
import { readTlsConfig, type TlsConfig } from './tls';

export type DatabaseSource =
  | { kind: 'url'; url: string }
  /** `baseUrl` (from DATABASE_URL, when also set) supplies what the secret lacks, e.g. RDS-managed secrets hold only username/password. */
  | { kind: 'secret'; secretArn: string; baseUrl: string | undefined };

export interface DatabaseConfig {
  source: DatabaseSource;
  /** DATABASE_SSL or `sslmode` in DATABASE_URL; PGSSLROOTCERT or `sslrootcert` (lib/db/tls.ts). Default: disable. */
  tls: TlsConfig;
  /**
   * The server-side limit on one statement. Sent as a startup parameter (a session SET would not
   * survive transaction pooling) unless `pooled`; the client also stops waiting this long + 2 s.
   */
  statementTimeoutMs: number;
  /**
   * Behind pgbouncer (or another pooler that refuses unknown startup parameters: pgbouncer answers
   * `unsupported startup parameter: statement_timeout`), send no statement_timeout; set it on the
   * database role instead (`ALTER ROLE <user> SET statement_timeout = '5s'`). DATABASE_POOLED=true.
   */
  pooled: boolean;
  connectTimeoutMs: number;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/**
 * @example
 * const database = readDatabaseConfig(process.env); // at cold start, outside the handler
 */
export function readDatabaseConfig(env: Env): DatabaseConfig {
  const url = optionalString(env, 'DATABASE_URL');
  const secretArn = optionalString(env, 'DATABASE_SECRET_ARN');
  let params: URLSearchParams | undefined;
  if (url !== undefined) {
    try {
      params = new URL(url).searchParams;
    } catch (error) {
      throw new ConfigError('DATABASE_URL is not a valid URL', { cause: error });
    }
  }
  let source: DatabaseSource;
  if (secretArn !== undefined) source = { kind: 'secret', secretArn, baseUrl: url };
  else if (url !== undefined) source = { kind: 'url', url };
  else throw new ConfigError('DATABASE_URL or DATABASE_SECRET_ARN is required but neither is set');
  return {
    source,
    tls: readTlsConfig(env, params),
    statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 100, 900_000),
    pooled: boolean(env, 'DATABASE_POOLED', false),
    connectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 60_000),
  };
}
