/**
 * The key store's SSM operations for the operator CLIs (`npm run keys`, `npm run stage -- init|check`):
 * read every record under a stage's path, add one, change one's expiry, delete one. Records are
 * lib/auth/keyRecord.ts's; the functions read the same parameters (lib/auth/ssmKeys.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  paginateGetParametersByPath,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { formatKeyRecord, type KeyRecord, parseKeyRecord } from '../../lib/auth/keyRecord';
import { errorMessage } from '../../lib/errors';
import { generateApiKey } from '../stage/apiKeys';
import { describeServiceError, isServiceError } from '../stage/awsErrors';
import { CliError } from '../stage/errors';
import { SERVICE } from '../stage/names';

/**
 * The most keys a stage may hold: every function container reads the whole store once a minute, in
 * pages of 10 (GetParametersByPath's most), so 200 keys already cost 20 calls per container per minute.
 */
export const MAX_KEYS = 200;
const WHY_MAX = 'each function refresh costs ceil(keys/10) GetParametersByPath calls per container per minute';
/** Ids are 48 random bits: a clash is unlikely, and another draw settles it. */
const ID_ATTEMPTS = 3;

/** A stage's key store: the path its parameters are right under, and the stage its tags name. */
export interface KeyStore {
  /** Ends in `/` (keyStorePath). */
  path: string;
  stage: string;
}

/** One parameter under the path: its record, or why it has none (never its value). */
export type StoreEntry =
  | { ok: true; record: KeyRecord; parameter: string; version: number }
  | { ok: false; id: string; parameter: string; problem: string };

function awsError(call: string, name: string, error: unknown): CliError {
  const detail = isServiceError(error) ? describeServiceError(error) : errorMessage(error);
  return new CliError('AWS', `${call} ${name} failed: ${detail}`, { cause: error });
}

/** From `now` on a key is refused; the functions compare the same way (lib/auth/keyStore.ts). */
export function isActive(record: KeyRecord, now: number): boolean {
  return record.expiresAt === null || Date.parse(record.expiresAt) > now;
}

/** `key_` and 12 hex digits from the OS's random source. */
export function newKeyId(): string {
  return `key_${randomBytes(6).toString('hex')}`;
}

/**
 * Every parameter right under the store's path (not below: Recursive false, as the functions read it),
 * decrypted, oldest record first.
 *
 * @throws CliError (AWS) when a page cannot be read.
 * @example
 * const entries = await readStore(ssm, { path: '/telemetry-pipeline/dev/api-keys/', stage: 'dev' });
 */
export async function readStore(ssm: SSMClient, store: KeyStore): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  try {
    const pages = paginateGetParametersByPath(
      { client: ssm, pageSize: 10 },
      { Path: store.path, Recursive: false, WithDecryption: true },
    );
    for await (const page of pages)
      for (const parameter of page.Parameters ?? []) {
        const name = parameter.Name ?? '';
        const parsed = parseKeyRecord(name, parameter.Value);
        entries.push(
          parsed.ok
            ? { ok: true, record: parsed.record, parameter: name, version: parameter.Version ?? 0 }
            : { ok: false, id: name.slice(name.lastIndexOf('/') + 1), parameter: name, problem: parsed.problem },
        );
      }
  } catch (error) {
    throw awsError('GetParametersByPath', store.path, error);
  }
  const created = (entry: StoreEntry): string => (entry.ok ? entry.record.createdAt : '');
  return entries.sort((a, b) => created(a).localeCompare(created(b)) || a.parameter.localeCompare(b.parameter));
}

/**
 * Refuses to grow the store past MAX_KEYS. Every parameter counts, expired and unreadable ones too: the
 * functions read them all.
 *
 * @throws CliError (REFUSED) when `adding` more would not fit.
 */
export function assertRoom(store: KeyStore, present: number, adding: number): void {
  if (present + adding <= MAX_KEYS) return;
  const what = adding === 1 ? 'another key' : `${adding} more keys`;
  throw new CliError(
    'REFUSED',
    `${store.path} holds ${present} key parameters, and ${what} would pass the limit of ${MAX_KEYS} per stage ` +
      `(${WHY_MAX}): revoke expired or unused keys first`,
  );
}

/**
 * Stores a new record (a new id, SecureString, never overwriting), tagged with its service, stage and
 * tenant so that cost and access reports can tell tenants apart.
 *
 * @throws CliError (AWS) when SSM refuses it.
 */
export async function putNewRecord(ssm: SSMClient, store: KeyStore, fields: Omit<KeyRecord, 'id'>): Promise<KeyRecord> {
  for (let attempt = 1; ; attempt += 1) {
    const record: KeyRecord = { id: newKeyId(), ...fields };
    const name = store.path + record.id;
    try {
      await ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: formatKeyRecord(record),
          Type: 'SecureString',
          Overwrite: false,
          Description: `API key ${record.id} of tenant ${record.tenant} (npm run keys)`,
          Tags: [
            { Key: 'service', Value: SERVICE },
            { Key: 'stage', Value: store.stage },
            { Key: 'tenant', Value: record.tenant },
          ],
        }),
      );
      return record;
    } catch (error) {
      if (isServiceError(error) && error.name === 'ParameterAlreadyExists' && attempt < ID_ATTEMPTS) continue;
      throw awsError('PutParameter', name, error);
    }
  }
}

/**
 * A new key for `tenant`: stored as its hash, returned with the key itself, which the caller prints once.
 *
 * @example
 * const { record, key } = await createKey(ssm, store, { tenant: 'acme', name: 'ci', expiresAt: null }, Date.now());
 */
export async function createKey(
  ssm: SSMClient,
  store: KeyStore,
  input: { tenant: string; name: string; expiresAt: string | null },
  now: number,
): Promise<{ record: KeyRecord; key: string }> {
  const { key, hash } = generateApiKey();
  const record = await putNewRecord(ssm, store, { ...input, hash, createdAt: new Date(now).toISOString() });
  return { record, key };
}

/**
 * Rewrites a record with a new expiry.
 *
 * @returns whether the write followed the version read; if not, another writer came in between and its
 *   change was overwritten, which the caller says.
 * @throws CliError (AWS) when SSM refuses it.
 */
export async function setExpiry(
  ssm: SSMClient,
  store: KeyStore,
  entry: Extract<StoreEntry, { ok: true }>,
  expiresAt: string,
): Promise<{ raced: boolean }> {
  const name = store.path + entry.record.id;
  try {
    const { Version } = await ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: formatKeyRecord({ ...entry.record, expiresAt }),
        Type: 'SecureString',
        Overwrite: true,
      }),
    );
    return { raced: Version !== undefined && Version !== entry.version + 1 };
  } catch (error) {
    throw awsError('PutParameter', name, error);
  }
}

/**
 * @throws CliError (NOT_FOUND) when it is gone already (someone else revoked it), (AWS) when SSM refuses.
 */
export async function deleteRecord(ssm: SSMClient, store: KeyStore, id: string): Promise<void> {
  const name = store.path + id;
  try {
    await ssm.send(new DeleteParameterCommand({ Name: name }));
  } catch (error) {
    if (isServiceError(error) && error.name === 'ParameterNotFound')
      throw new CliError('NOT_FOUND', `${name} is gone already: was it revoked meanwhile?`, { cause: error });
    throw awsError('DeleteParameter', name, error);
  }
}

/**
 * The value of a plain parameter (the old hash list), or undefined when there is none.
 *
 * @throws CliError (AWS) when it cannot be read.
 */
export async function readParameterValue(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return Parameter?.Value ?? '';
  } catch (error) {
    if (isServiceError(error) && error.name === 'ParameterNotFound') return undefined;
    throw awsError('GetParameter', name, error);
  }
}
