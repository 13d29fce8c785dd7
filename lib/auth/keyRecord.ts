/**
 * One API key as the key store holds it: an SSM parameter `<API_KEYS_PATH><keyId>` (SecureString)
 * whose value is this record as JSON. Only the key's SHA-256 is stored; the key itself is shown once,
 * by `npm run keys -- create`, and never again.
 *
 * ```json
 * {"v":1,"tenant":"acme","name":"ci","hash":"<64 hex>","createdAt":"2026-12-02T10:00:00.000Z","expiresAt":null}
 * ```
 */
import { isPlainObject } from '../errors';

/** Version of the record's JSON shape; a reader skips (and logs) records of versions it does not know. */
export const KEY_RECORD_VERSION = 1;

/** Tenants: lowercase letters, digits and dashes, 1-63 characters, starting with a letter or digit. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Key ids: `key_` and 12 lowercase hex digits; also the last segment of the parameter name. */
export const KEY_ID_PATTERN = /^key_[0-9a-f]{12}$/;
/** What a key's name may hold: printable, no control characters, 1-64 characters. */
export const KEY_NAME_PATTERN = /^[\x20-\x7e]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The tenant of events stored before tenants existed, and of keys imported from the old hash list. */
export const DEFAULT_TENANT = 'default';

export interface KeyRecord {
  id: string;
  tenant: string;
  name: string;
  /** SHA-256 of the key, lowercase hex. */
  hash: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** ISO 8601 UTC; a key is refused from this instant on. Null: no expiry. */
  expiresAt: string | null;
}

function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 40 && !Number.isNaN(Date.parse(value));
}

/**
 * The record stored under parameter `name`, or the problem with it. The problem names fields, never
 * values: a key pasted into a parameter by mistake must not reach a log line.
 *
 * @example
 * const parsed = parseKeyRecord('/telemetry-pipeline/dev/api-keys/key_0123456789ab', parameter.Value);
 * if (parsed.ok) keys.push(parsed.record);
 */
export function parseKeyRecord(
  name: string,
  value: string | undefined,
): { ok: true; record: KeyRecord } | { ok: false; problem: string } {
  const id = name.slice(name.lastIndexOf('/') + 1);
  if (!KEY_ID_PATTERN.test(id)) return { ok: false, problem: 'the parameter name does not end in a key id' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value ?? '');
  } catch {
    return { ok: false, problem: 'the value is not JSON' };
  }
  if (!isPlainObject(parsed)) return { ok: false, problem: 'the value is not a JSON object' };
  if (parsed.v !== KEY_RECORD_VERSION) return { ok: false, problem: 'unknown record version' };
  const { tenant, name: keyName, hash, createdAt, expiresAt } = parsed;
  if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) return { ok: false, problem: 'tenant is invalid' };
  if (typeof keyName !== 'string' || !KEY_NAME_PATTERN.test(keyName)) return { ok: false, problem: 'name is invalid' };
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash))
    return { ok: false, problem: 'hash is not a SHA-256 hex digest' };
  if (!isIsoTime(createdAt)) return { ok: false, problem: 'createdAt is not an ISO 8601 time' };
  if (expiresAt !== null && expiresAt !== undefined && !isIsoTime(expiresAt))
    return { ok: false, problem: 'expiresAt is not an ISO 8601 time' };
  return {
    ok: true,
    record: { id, tenant, name: keyName, hash, createdAt, expiresAt: typeof expiresAt === 'string' ? expiresAt : null },
  };
}

/**
 * The parameter value for `record` (the id is the parameter name's last segment, not in the value).
 *
 * @example
 * await ssm.send(new PutParameterCommand({ Name: path + record.id, Value: formatKeyRecord(record), Type: 'SecureString' }));
 */
export function formatKeyRecord(record: KeyRecord): string {
  const { tenant, name, hash, createdAt, expiresAt } = record;
  return JSON.stringify({ v: KEY_RECORD_VERSION, tenant, name, hash, createdAt, expiresAt });
}

/**
 * The key-store path of a stage: every key of the stage is one parameter right under it.
 *
 * @example
 * keyStorePath('telemetry-pipeline', 'dev'); // '/telemetry-pipeline/dev/api-keys/'
 */
export function keyStorePath(service: string, stage: string): string {
  return `/${service}/${stage}/api-keys/`;
}
