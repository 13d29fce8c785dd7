/**
 * Turns the database settings into node-postgres connection options, fetching the Secrets Manager
 * secret (RDS format) when one is configured. The caller caches the result for the container's life:
 * one GetSecretValue per cold start, again only after the database refuses the credentials (rotation).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClientConfig } from 'pg';
import { ConfigError } from '../errors';
import type { DatabaseConfig } from './config';

/** Where to connect and as whom; everything else (timeouts, TLS) comes from `DatabaseConfig`. */
export type ConnectionTarget = Pick<ClientConfig, 'host' | 'port' | 'user' | 'password' | 'database'>;

function targetFromUrl(url: string): ConnectionTarget {
  const parsed = new URL(url);
  return {
    host: decodeURIComponent(parsed.hostname),
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
  };
}

function field(secret: Record<string, unknown>, name: string): string | undefined {
  const value = secret[name];
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * Parses an RDS-format secret (`host`, `port`, `username`, `password`, `dbname`). Fields it lacks come
 * from `base` (DATABASE_URL), since RDS-managed master secrets carry only username and password.
 *
 * @example
 * parseRdsSecret('{"host":"db","username":"app","password":"p","dbname":"telemetry"}', undefined);
 */
export function parseRdsSecret(text: string, base: ConnectionTarget | undefined): ConnectionTarget {
  let secret: unknown;
  try {
    secret = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('database secret is not JSON', { cause: error });
  }
  if (typeof secret !== 'object' || secret === null || Array.isArray(secret))
    throw new ConfigError('database secret is not a JSON object');
  const record = secret as Record<string, unknown>;
  const host = field(record, 'host') ?? base?.host;
  const user = field(record, 'username') ?? base?.user;
  const password = field(record, 'password') ?? base?.password;
  if (!host || !user || password === undefined)
    throw new ConfigError('database secret needs host, username and password (or DATABASE_URL for the host)');
  const port = Number(field(record, 'port') ?? base?.port ?? 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new ConfigError(`database secret has an invalid port ${JSON.stringify(record.port)}`);
  return { host, port, user, password, database: field(record, 'dbname') ?? base?.database ?? 'postgres' };
}

/**
 * @example
 * const target = await resolveConnectionTarget(config, secretsClient);
 * const client = new Client({ ...target, statement_timeout: config.statementTimeoutMs });
 */
export async function resolveConnectionTarget(
  config: DatabaseConfig,
  secrets: SecretsManagerClient | undefined,
): Promise<ConnectionTarget> {
  const { source } = config;
  if (source.kind === 'url') return targetFromUrl(source.url);
  if (!secrets) throw new ConfigError('DATABASE_SECRET_ARN is set but no Secrets Manager client was given');
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: source.secretArn }));
  if (!SecretString) throw new ConfigError(`secret ${source.secretArn} has no SecretString`);
  return parseRdsSecret(SecretString, source.baseUrl ? targetFromUrl(source.baseUrl) : undefined);
}
