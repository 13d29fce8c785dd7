import type { QueryResult, QueryResultRow } from 'pg';

export interface QueryOptions {
  /**
   * The statement may safely run twice (e.g. INSERT ... ON CONFLICT DO NOTHING). Only then does a
   * connection found dead on use get one retry on a fresh connection within the same call.
   */
  idempotent?: boolean;
}

/**
 * What `lib/` needs from a database: one statement at a time. `DatabaseConnection` implements it;
 * tests may wrap it (e.g. to count statements) without touching the code under test.
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>>;
}
