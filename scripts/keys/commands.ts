/**
 * The keys CLI's commands (create, list, revoke, rotate, import-legacy) on a target's store. Each reads
 * the whole store first: the limit, the last-active-key rule and the legacy import all need it, and
 * it is what the functions read too.
 */
import { DEFAULT_REFRESH_SECONDS } from '../../lib/auth/config';
import { DEFAULT_TENANT, type KeyRecord } from '../../lib/auth/keyRecord';
import { errorMessage } from '../../lib/errors';
import { parseHashList } from '../stage/apiKeys';
import { CliError } from '../stage/errors';
import type { KeysOptions } from './args';
import { expiryText, keyRows, newKeyJson, newKeyText, renderKeyTable, summary } from './render';
import {
  assertRoom,
  createKey,
  deleteRecord,
  isActive,
  putNewRecord,
  readParameterValue,
  readStore,
  type StoreEntry,
  setExpiry,
} from './store';
import type { Target } from './target';
import { relative } from './time';

/** Where a command's lines go; stdout carries only the JSON under --json. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  terminal: boolean;
}

type Options<C extends KeysOptions['command']> = Extract<KeysOptions, { command: C }>;

const TAKES_EFFECT = `within ${DEFAULT_REFRESH_SECONDS} s (the functions reload the keys every ${DEFAULT_REFRESH_SECONDS} s; no deploy needed)`;

function keysCommand(command: string, target: Target): string {
  return `npm run keys -- ${command} ${target.flags}`;
}

function find(entries: StoreEntry[], id: string, target: Target): StoreEntry {
  const entry = entries.find((candidate) => (candidate.ok ? candidate.record.id : candidate.id) === id);
  if (entry) return entry;
  throw new CliError(
    'NOT_FOUND',
    `no key ${id} in ${target.store.path} (${target.label}): \`${keysCommand('list', target)}\` shows the keys there`,
  );
}

function activeCount(entries: StoreEntry[], now: number): number {
  return entries.filter((entry) => entry.ok && isActive(entry.record, now)).length;
}

function raceWarning(output: Output, id: string, target: Target): void {
  output.err(
    `warning: ${id} changed while this ran, and that change was overwritten: check it with \`${keysCommand('list', target)}\``,
  );
}

async function create(target: Target, options: Options<'create'>, output: Output, now: number): Promise<void> {
  const entries = await readStore(target.ssm, target.store);
  assertRoom(target.store, entries.length, 1);
  const { tenant, name, expiresAt } = options;
  const { record, key } = await createKey(target.ssm, target.store, { tenant, name, expiresAt }, now);
  if (options.json) {
    output.out(JSON.stringify(newKeyJson(record, key)));
    return;
  }
  output.out(newKeyText(record, key, now));
  output.out(`It works ${TAKES_EFFECT}.`);
}

async function list(target: Target, options: Options<'list'>, output: Output, now: number): Promise<void> {
  const entries = await readStore(target.ssm, target.store);
  // Unreadable records stay under a tenant filter: whose they are is unknown, and they need a look.
  const shown = entries.filter(
    (entry) => options.tenant === undefined || !entry.ok || entry.record.tenant === options.tenant,
  );
  const rows = keyRows(shown, now);
  if (options.json) {
    output.out(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    const whose = options.tenant === undefined ? '' : ` of tenant ${options.tenant}`;
    output.out(`no keys${whose} under ${target.store.path}: ${keysCommand('create', target)} --tenant <T> --name <N>`);
  } else {
    output.out(renderKeyTable(rows, now, output.terminal));
    output.out(summary(rows, entries.length));
  }
  if (activeCount(entries, now) === 0 && entries.length > 0)
    output.out('No active key: every client of this stage is refused until one is created.');
}

async function revoke(target: Target, options: Options<'revoke'>, output: Output, now: number): Promise<void> {
  const entries = await readStore(target.ssm, target.store);
  const entry = find(entries, options.id, target);
  const last = entry.ok && isActive(entry.record, now) && activeCount(entries, now) === 1;
  if (last && !options.force)
    throw new CliError(
      'REFUSED',
      `refusing to revoke ${options.id}: it is the last active key of ${target.label}, and without one every client ` +
        `of the stage would be refused. Create its successor first (${keysCommand('rotate', target)} --key ${options.id}), ` +
        'or pass --force',
    );
  await deleteRecord(target.ssm, target.store, options.id);
  const of = entry.ok ? { tenant: entry.record.tenant, name: entry.record.name } : {};
  if (options.json) {
    output.out(JSON.stringify({ id: options.id, ...of, revoked: true }));
    return;
  }
  const whose = entry.ok
    ? ` (tenant ${entry.record.tenant}, name ${JSON.stringify(entry.record.name)})`
    : ' (unreadable)';
  output.out(`revoked ${options.id}${whose}: its parameter is deleted, and the key is refused ${TAKES_EFFECT}.`);
  if (last) output.out(`No active key is left: every client of ${target.label} is refused until one is created.`);
}

/** What happens to the key being replaced: when it stops working, and how that was done. */
async function retire(
  target: Target,
  old: Extract<StoreEntry, { ok: true }>,
  overlapMs: number,
  now: number,
): Promise<{ until: string; text: string; raced: boolean }> {
  const { id } = old.record;
  if (overlapMs === 0) {
    await deleteRecord(target.ssm, target.store, id);
    return {
      until: new Date(now).toISOString(),
      text: `${id} is revoked (deleted): it is refused ${TAKES_EFFECT}`,
      raced: false,
    };
  }
  const planned = now + overlapMs;
  const current = old.record.expiresAt;
  if (current !== null && Date.parse(current) <= planned)
    return {
      until: current,
      text: `${id} keeps its earlier expiry: it stops working at ${current} (${relative(current, now)})`,
      raced: false,
    };
  const until = new Date(planned).toISOString();
  const { raced } = await setExpiry(target.ssm, target.store, old, until);
  return { until, text: `${id} stops working at ${until} (${relative(until, now)})`, raced };
}

async function rotate(target: Target, options: Options<'rotate'>, output: Output, now: number): Promise<void> {
  const entries = await readStore(target.ssm, target.store);
  const old = find(entries, options.id, target);
  if (!old.ok)
    throw new CliError(
      'REFUSED',
      `cannot rotate ${options.id}: its record is unreadable (${old.problem}); revoke it and create a new key`,
    );
  assertRoom(target.store, entries.length, 1);
  const { tenant, name } = old.record;
  const { record, key } = await createKey(
    target.ssm,
    target.store,
    { tenant, name, expiresAt: options.expiresAt },
    now,
  );
  // The new key goes out before the old one is touched: if that fails, the new key must not be lost with it.
  if (!options.json) {
    output.out(newKeyText(record, key, now));
    output.out(`It works ${TAKES_EFFECT}; move the clients of ${options.id} to it.`);
  }
  let retired: Awaited<ReturnType<typeof retire>>;
  try {
    retired = await retire(target, old, options.overlapMs, now);
  } catch (error) {
    if (options.json)
      output.out(JSON.stringify({ ...newKeyJson(record, key), replaces: options.id, replacedUntil: null }));
    throw new CliError('AWS', `${record.id} was created, but ${options.id} is unchanged: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (retired.raced) raceWarning(output, options.id, target);
  if (options.json) {
    output.out(JSON.stringify({ ...newKeyJson(record, key), replaces: options.id, replacedUntil: retired.until }));
    return;
  }
  output.out(`${retired.text}.`);
}

async function importLegacy(
  target: Target,
  options: Options<'import-legacy'>,
  output: Output,
  now: number,
): Promise<void> {
  const parameter = target.legacyParameter as string;
  const value = await readParameterValue(target.ssm, parameter);
  if (value === undefined)
    throw new CliError('NOT_FOUND', `no parameter ${parameter} (${target.label}): nothing to import`);
  let hashes: string[];
  try {
    hashes = [...new Set(parseHashList(value, parameter))];
  } catch (error) {
    // parseHashList names the position of a bad entry, never the entry.
    throw new CliError('REFUSED', `cannot import ${parameter}: ${errorMessage(error)}`, { cause: error });
  }
  const entries = await readStore(target.ssm, target.store);
  const known = new Set(entries.flatMap((entry) => (entry.ok ? [entry.record.hash] : [])));
  const missing = hashes.filter((hash) => !known.has(hash));
  assertRoom(target.store, entries.length, missing.length);
  const imported: KeyRecord[] = [];
  for (const hash of missing)
    imported.push(
      await putNewRecord(target.ssm, target.store, {
        // Events stored before tenants belong to the default tenant, and so do the keys that sent them.
        tenant: DEFAULT_TENANT,
        name: `legacy-${hash.slice(0, 8)}`,
        hash,
        createdAt: new Date(now).toISOString(),
        expiresAt: null,
      }),
    );
  const deleteOld = `aws ssm delete-parameter --name ${parameter} ${target.awsFlags}`;
  if (options.json) {
    const records = imported.map(({ id, tenant, name }) => ({ id, tenant, name }));
    output.out(
      JSON.stringify({
        parameter,
        hashes: hashes.length,
        imported: records,
        alreadyInStore: hashes.length - missing.length,
      }),
    );
    return;
  }
  const already = hashes.length - missing.length;
  output.out(
    `${parameter}: ${hashes.length} hash${hashes.length === 1 ? '' : 'es'}; ` +
      `imported ${imported.length}${already > 0 ? `, ${already} already in the store` : ''}`,
  );
  for (const record of imported)
    output.out(`  ${record.id}  tenant ${record.tenant}, name ${record.name}, ${expiryText(null, now)}`);
  output.out(
    [
      '',
      `The clients keep their keys: the key store accepts them ${TAKES_EFFECT}.`,
      `Once every client works against the deployed key store, delete the old parameter: ${deleteOld}`,
      `To give a client its own tenant: ${keysCommand('create', target)} --tenant <T> --name <N>, move the client to ` +
        `that key, then ${keysCommand('revoke', target)} --key <its legacy id>.`,
    ].join('\n'),
  );
}

/**
 * Runs one parsed command against its target.
 *
 * @throws CliError: USAGE, AWS, REFUSED or NOT_FOUND, never with a key or a hash in its message.
 * @example
 * await runKeysCommand(options, await openTarget(options.target, process.env), consoleOutput, Date.now());
 */
export async function runKeysCommand(options: KeysOptions, target: Target, output: Output, now: number): Promise<void> {
  if (!options.json) output.out(`${target.label}: ${target.store.path}`);
  switch (options.command) {
    case 'create':
      return create(target, options, output, now);
    case 'list':
      return list(target, options, output, now);
    case 'revoke':
      return revoke(target, options, output, now);
    case 'rotate':
      return rotate(target, options, output, now);
    case 'import-legacy':
      return importLegacy(target, options, output, now);
  }
}
