/**
 * One Postgres connection per Lambda container (a global client, no pool: Lambda's concurrency per
 * shard is what bounds the connection count), made lazily on first use and re-made after it breaks.
 * Freeze/thaw silently kills idle sockets, and a restarted or failed-over database drops them, so "broken" is detected three ways: the client's
 * 'error'/'end' events, a connection-level error from a statement, and the query read timeout that
 * catches a socket that died without a reset.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client, QueryResult, QueryResultRow } from 'pg';
// The Client module alone: the package index also loads pg-pool, which a one-connection function never uses.
import PgClient = require('pg/lib/client');
import { isConnectionLost } from './classifyError';
import type { DatabaseConfig } from './config';
import { resolveConnectionTarget, type ConnectionTarget } from './credentials';
import type { QueryOptions, Queryable } from './queryable';
import { pgSsl } from './tls';

// Extra time on top of statement_timeout before we stop waiting for an answer: the server cancels
// the statement first (57014, connection kept); only a dead socket runs into this.
const READ_TIMEOUT_MARGIN_MS = 2_000;
// SQLSTATEs meaning the credentials were refused: the secret may have been rotated, so fetch it again.
const AUTH_FAILURES = new Set(['28P01', '28000']);

export interface ConnectionStats {
  /** Connections opened over this object's life: 1 normally, more after breaks. */
  connects: number;
}

export interface ConnectionOptions {
  /** Required when the config names a secret (DATABASE_SECRET_ARN). */
  secrets?: SecretsManagerClient;
  /** Shown in pg_stat_activity, so an operator can tell the functions' connections apart. */
  applicationName?: string;
}

export class DatabaseConnection implements Queryable {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private target: ConnectionTarget | undefined;
  // Built (and the CA file read) on the first connect, kept for reconnects.
  private ssl: false | TlsOptions | undefined;
  readonly stats: ConnectionStats = { connects: 0 };

  /**
   * Cheap: nothing connects until the first query, so a cold start never fails on the database.
   *
   * @example
   * const db = new DatabaseConnection(readDatabaseConfig(process.env), { applicationName: 'consumer' }); // outside the handler
   * await db.query('SELECT 1');
   */
  constructor(
    private readonly config: DatabaseConfig,
    private readonly options: ConnectionOptions = {},
  ) {}

  /**
   * Runs one statement on the container's connection, connecting first if there is none.
   * When an idempotent statement fails because a *reused* connection turned out to be dead (the
   * freeze/thaw case), it runs once more on a fresh connection; a fresh connection failing is a
   * real outage and the error is thrown to the caller.
   *
   * @example
   * const { rows } = await db.query('SELECT status FROM t WHERE id = $1', [id]);
   */
  async query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
    options: QueryOptions = {},
  ): Promise<QueryResult<R>> {
    const reused = this.client !== undefined;
    try {
      return await this.run<R>(text, values);
    } catch (error) {
      if (!(reused && options.idempotent && isConnectionLost(error))) throw error;
      return this.run<R>(text, values);
    }
  }

  /**
   * Closes the connection (tests, scripts). The object stays usable: the next query reconnects.
   *
   * @example
   * await db.close();
   */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async run<R extends QueryResultRow>(text: string, values: unknown[] | undefined): Promise<QueryResult<R>> {
    const client = await this.connected();
    try {
      return await client.query<R>(text, values);
    } catch (error) {
      if (isConnectionLost(error)) this.discard(client);
      throw error;
    }
  }

  private connected(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    // Concurrent callers share one connect rather than opening a connection each.
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    this.target ??= await resolveConnectionTarget(this.config, this.options.secrets);
    this.ssl ??= pgSsl(this.config.tls);
    const client: Client = new PgClient({
      ...this.target,
      ssl: this.ssl,
      ...(this.config.pooled ? {} : { statement_timeout: this.config.statementTimeoutMs }),
      query_timeout: this.config.statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
      connectionTimeoutMillis: this.config.connectTimeoutMs,
      keepAlive: true,
      application_name: this.options.applicationName ?? 'telemetry',
    });
    // Without an 'error' listener an idle socket dying between invocations would crash the process.
    client.on('error', () => this.discard(client));
    client.on('end', () => this.discard(client));
    try {
      await client.connect();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && AUTH_FAILURES.has(code)) this.target = undefined;
      await client.end().catch(() => undefined);
      throw error;
    }
    this.stats.connects += 1;
    this.client = client;
    return client;
  }

  private discard(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
  }
}
