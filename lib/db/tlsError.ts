/**
 * Names the TLS failures of a Postgres connect so a caller can say what to set (scripts/migrate.ts
 * does). Not on the functions' connection path: they log the driver's own error, which keeps this
 * out of their bundles.
 */
import { errorCode, errorMessage, PipelineError } from '../errors';

/** Why TLS stopped a connection: the certificate, a server that wants TLS, or one that has none. */
export type TlsFailure = 'certificate' | 'server-requires-tls' | 'server-lacks-tls';

export class DatabaseTlsError extends PipelineError {
  override readonly name = 'DatabaseTlsError';
  constructor(
    readonly failure: TlsFailure,
    message: string,
    options: { cause: unknown },
  ) {
    super('DATABASE_TLS_FAILED', message, { cause: options.cause, details: { failure } });
  }
}

// Node's (OpenSSL's) names for a certificate it would not trust.
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The connect error as a DatabaseTlsError when TLS (or its absence) caused it, else undefined.
 *
 * @example
 * throw tlsError(error) ?? error;
 */
export function tlsError(error: unknown): DatabaseTlsError | undefined {
  const code = errorCode(error) ?? '';
  const message = errorMessage(error);
  if (CERTIFICATE_CODES.has(code))
    return new DatabaseTlsError('certificate', `TLS certificate not trusted (${code}): ${message}`, { cause: error });
  // pg_hba.conf has only hostssl lines (RDS with rds.force_ssl): "no encryption" since Postgres 14, "SSL off" before.
  if (code === '28000' && /no encryption|SSL off/.test(message))
    return new DatabaseTlsError('server-requires-tls', `the server requires TLS: ${message}`, { cause: error });
  // node-postgres' words when the server answers the SSL request with "N".
  if (message.startsWith('The server does not support SSL'))
    return new DatabaseTlsError('server-lacks-tls', message, { cause: error });
  return undefined;
}
