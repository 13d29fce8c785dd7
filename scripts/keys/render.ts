/**
 * What the keys CLI prints: the key list (a table, or JSON), and a new key, once. Nothing here ever
 * prints a hash; only `newKeyText` and `newKeyJson` print a key, and only the one just made.
 */
import Table from 'cli-table3';
import type { KeyRecord } from '../../lib/auth/keyRecord';
import { isActive, MAX_KEYS, type StoreEntry } from './store';
import { relative, shortSpan } from './time';

/** One row of `list`, as `--json` prints it: everything but the hash. */
export type KeyRow =
  | {
      id: string;
      tenant: string;
      name: string;
      createdAt: string;
      expiresAt: string | null;
      state: 'active' | 'expired';
    }
  | { id: string; parameter: string; state: 'unreadable'; problem: string };

/**
 * @example
 * keyRows(await readStore(ssm, store), Date.now()); // [{ id: 'key_...', tenant: 'acme', ..., state: 'active' }]
 */
export function keyRows(entries: StoreEntry[], now: number): KeyRow[] {
  return entries.map((entry) => {
    if (!entry.ok) return { id: entry.id, parameter: entry.parameter, state: 'unreadable', problem: entry.problem };
    const { id, tenant, name, createdAt, expiresAt } = entry.record;
    return { id, tenant, name, createdAt, expiresAt, state: isActive(entry.record, now) ? 'active' : 'expired' };
  });
}

/** Colours only on a terminal: piped into a file or a ticket, escape codes are noise. */
function tableStyle(terminal: boolean): { head: string[]; border: string[] } | undefined {
  return terminal ? undefined : { head: [], border: [] };
}

/**
 * @example
 * console.log(renderKeyTable(keyRows(entries, now), now, process.stdout.isTTY === true));
 */
export function renderKeyTable(rows: KeyRow[], now: number, terminal: boolean): string {
  const table = new Table({
    head: ['id', 'tenant', 'name', 'created', 'expires', 'state'],
    style: tableStyle(terminal),
  });
  for (const row of rows) {
    if (row.state === 'unreadable') {
      table.push([row.id, '-', '-', '-', '-', `unreadable: ${row.problem}`]);
      continue;
    }
    const created = `${row.createdAt} (${shortSpan(now - Date.parse(row.createdAt))})`;
    const expires = row.expiresAt === null ? 'never' : `${row.expiresAt} (${relative(row.expiresAt, now)})`;
    table.push([row.id, row.tenant, row.name, created, expires, row.state]);
  }
  return table.toString();
}

/**
 * The line under the table: how many keys, in which state, against the limit.
 *
 * @example
 * summary(rows, 3); // '3 keys: 2 active, 1 expired; a stage holds at most 200'
 */
export function summary(rows: KeyRow[], total: number): string {
  const count = (state: KeyRow['state']): number => rows.filter((row) => row.state === state).length;
  const parts = [`${count('active')} active`, `${count('expired')} expired`];
  if (count('unreadable') > 0) parts.push(`${count('unreadable')} unreadable (skipped by the functions)`);
  const shown = rows.length === total ? '' : ` shown of ${total} in the store`;
  return `${rows.length} key${rows.length === 1 ? '' : 's'}${shown}: ${parts.join(', ')}; a stage holds at most ${MAX_KEYS}`;
}

/** When a record stops working, for people. */
export function expiryText(expiresAt: string | null, now: number): string {
  return expiresAt === null ? 'never expires' : `expires ${expiresAt} (${relative(expiresAt, now)})`;
}

/**
 * A new key, for people: the key alone on its line, and that it will not be shown again.
 *
 * @example
 * console.log(newKeyText(record, key, Date.now()));
 */
export function newKeyText(record: KeyRecord, key: string, now: number): string {
  return [
    `created ${record.id} for tenant ${record.tenant} (name ${JSON.stringify(record.name)}), ${expiryText(record.expiresAt, now)}`,
    '',
    `  ${key}`,
    '',
    'The key is shown only now: store it where its clients get it. Only its SHA-256 is kept in SSM.',
  ].join('\n');
}

/** A new key as `--json` prints it: one object, no hash. */
export function newKeyJson(record: KeyRecord, key: string): Record<string, string | null> {
  const { id, tenant, name, createdAt, expiresAt } = record;
  return { id, tenant, name, key, createdAt, expiresAt };
}
