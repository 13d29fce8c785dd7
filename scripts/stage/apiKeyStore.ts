/**
 * `init` and `check` for the stage's key store (`/telemetry-pipeline/<stage>/api-keys/`, one SecureString
 * parameter per key, read by the functions every 60 s): at least one active key, every record
 * readable. `init` creates a first key when none is active; the rest is `npm run keys`'s.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { KEY_ID_PATTERN } from '../../lib/auth/keyRecord';
import { createKey, isActive, type KeyStore, MAX_KEYS, readStore, type StoreEntry } from '../keys/store';
import { awsFlags, keysCommand, stageCommand, type Where } from './commands';
import type { Check, StepResult } from './report';

const WHAT = 'API keys';
const RECORD = 'API key record';
/** The name of the key init makes; the tenant is the operator's (--tenant). */
const FIRST_KEY_NAME = 'first';

export interface KeyStepResult extends StepResult {
  /** A key made by this run: the caller prints it, once. */
  newKey?: string;
}

function row(where: Where, status: Check['status'], detail: string): Check {
  return { what: WHAT, status, detail: `SSM ${where.names.apiKeysPath}: ${detail}` };
}

function describe(entries: StoreEntry[], now: number): string {
  const records = entries.flatMap((entry) => (entry.ok ? [entry.record] : []));
  const active = records.filter((record) => isActive(record, now));
  const tenants = [...new Set(active.map((record) => record.tenant))].sort();
  const expired = records.length - active.length;
  const unreadable = entries.length - records.length;
  const parts = [`${active.length} active${tenants.length > 0 ? ` (tenants ${tenants.join(', ')})` : ''}`];
  if (expired > 0) parts.push(`${expired} expired`);
  if (unreadable > 0) parts.push(`${unreadable} unreadable`);
  return `${entries.length} key${entries.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** One row per record the functions would skip: its parameter and the problem, never its value. */
function unreadableRows(entries: StoreEntry[], where: Where): { checks: Check[]; advice: string[] } {
  const bad = entries.flatMap((entry) => (entry.ok ? [] : [entry]));
  const checks = bad.map(
    (entry): Check => ({ what: RECORD, status: 'invalid', detail: `SSM ${entry.parameter}: ${entry.problem}` }),
  );
  // A parameter whose name is no key id is not one `npm run keys` can name: the AWS CLI deletes it.
  const advice = bad.map((entry) =>
    KEY_ID_PATTERN.test(entry.id)
      ? `the functions skip ${entry.id}: delete it (${keysCommand('revoke', where)} --key ${entry.id}) or rewrite it as npm run keys writes records`
      : `the functions skip ${entry.parameter}: delete it (aws ssm delete-parameter --name ${entry.parameter} ${awsFlags(where)})`,
  );
  return { checks, advice };
}

/**
 * @example
 * const { checks, newKey } = await apiKeyStoreStep(ssm, where, { create: true, tenant: 'default' });
 */
export async function apiKeyStoreStep(
  ssm: SSMClient,
  where: Where,
  options: { create: boolean; tenant: string },
  now = Date.now(),
): Promise<KeyStepResult> {
  const store: KeyStore = { path: where.names.apiKeysPath, stage: where.names.stage };
  const entries = await readStore(ssm, store);
  const problems = unreadableRows(entries, where);
  const active = entries.some((entry) => entry.ok && isActive(entry.record, now));
  if (active) {
    const tooMany = entries.length > MAX_KEYS;
    const detail = describe(entries, now) + (tooMany ? `: more than the ${MAX_KEYS} a stage may hold` : '');
    return {
      checks: [row(where, tooMany ? 'invalid' : 'ok', detail), ...problems.checks],
      advice: [
        ...(tooMany ? [`revoke expired or unused keys: ${keysCommand('list', where)}`] : []),
        ...problems.advice,
      ],
    };
  }
  if (!options.create || entries.length >= MAX_KEYS) {
    const detail = entries.length === 0 ? 'no key' : `no active key (${describe(entries, now)})`;
    return {
      checks: [row(where, 'missing', `${detail}: every client would be refused`), ...problems.checks],
      advice: [
        `create one: ${keysCommand('create', where)} --tenant <T> --name <N>, or ${stageCommand('init', where)}`,
        ...problems.advice,
      ],
    };
  }
  const { record, key } = await createKey(
    ssm,
    store,
    { tenant: options.tenant, name: FIRST_KEY_NAME, expiresAt: null },
    now,
  );
  const created = `created ${record.id} (tenant ${record.tenant}, name ${record.name}); its key is printed above, once`;
  return {
    checks: [row(where, 'created', created), ...problems.checks],
    advice: [
      `more keys, rotation, revocation: ${keysCommand('list', where)} (npm run keys -- --help)`,
      ...problems.advice,
    ],
    newKey: key,
  };
}
