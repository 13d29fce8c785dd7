/**
 * TLS to Postgres with libpq's `sslmode` meanings: `disable` plain; `require` encrypted, certificate
 * not checked; `verify-ca` chain checked, host name not; `verify-full` chain and host name. The mode
 * comes from DATABASE_SSL, else `sslmode` in DATABASE_URL (both given must agree), else disable;
 * the CA from PGSSLROOTCERT, else `sslrootcert` in DATABASE_URL, else Node's CAs plus
 * NODE_EXTRA_CA_CERTS (how deployed functions trust RDS). A CA alone turns nothing on, as in libpq.
 * Kept small: every database function bundles it (the fill function is near its 60 KB budget). What a
 * TLS failure means is lib/db/tlsError.ts; the advice on what to set lives in scripts/migrate.ts.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { type Env, optionalString } from '../config';
import { ConfigError, errorCode } from '../errors';

export type TlsMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface TlsConfig {
  mode: TlsMode;
  /** PEM file of the CA(s) to trust instead of Node's; read when connecting, used by the verify modes. */
  caFile?: string | undefined;
}

const MODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/**
 * @param params the query of DATABASE_URL, when set
 * @example
 * readTlsConfig({ PGSSLROOTCERT: 'ca.pem' }, new URL('postgres://h/d?sslmode=verify-full').searchParams);
 * // { mode: 'verify-full', caFile: 'ca.pem' }
 */
export function readTlsConfig(env: Env, params: URLSearchParams | undefined): TlsConfig {
  const ssl = optionalString(env, 'DATABASE_SSL')?.toLowerCase();
  const sslmode = params?.get('sslmode') ?? undefined;
  // DATABASE_SSL=true has always meant a verified connection; no-verify is node-postgres' require.
  const fromEnv = ssl === 'true' || ssl === '1' ? 'verify-full' : ssl === 'false' || ssl === '0' ? 'disable' : ssl;
  const fromUrl = sslmode === 'no-verify' ? 'require' : sslmode;
  if (fromEnv !== undefined && !MODES.includes(fromEnv))
    throw new ConfigError(
      `DATABASE_SSL must be true or false (or an sslmode: ${MODES.join(', ')}), got ${JSON.stringify(ssl)}`,
    );
  if (fromUrl !== undefined && !MODES.includes(fromUrl))
    throw new ConfigError(
      `sslmode in DATABASE_URL must be ${MODES.join(', ')} or no-verify, got ${JSON.stringify(sslmode)}`,
    );
  if (fromEnv && fromUrl && fromEnv !== fromUrl)
    throw new ConfigError(`DATABASE_SSL=${ssl} and sslmode=${sslmode} in DATABASE_URL disagree: set one of them`);
  return {
    mode: (fromEnv ?? fromUrl ?? 'disable') as TlsMode,
    caFile: optionalString(env, 'PGSSLROOTCERT') ?? (params?.get('sslrootcert') || undefined),
  };
}

/**
 * node-postgres' `ssl` option for a mode; reads the CA file (call once per connection target).
 *
 * @example
 * new Client({ ...target, ssl: pgSsl({ mode: 'verify-full', caFile: 'global-bundle.pem' }) });
 */
export function pgSsl({ mode, caFile }: TlsConfig): false | ConnectionOptions {
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  const options: ConnectionOptions = { rejectUnauthorized: true };
  if (caFile !== undefined) {
    try {
      options.ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the CA file ${caFile} (${errorCode(error)})`, { cause: error });
    }
  }
  // libpq's verify-ca checks the chain only; Node checks the name too unless told not to.
  if (mode === 'verify-ca') options.checkServerIdentity = () => undefined;
  return options;
}
