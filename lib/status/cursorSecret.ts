/**
 * The key the query API signs its cursors with (lib/status/cursor.ts). Deployed: a Secrets Manager
 * secret the stack generates (`CURSOR_SECRET_ARN`), fetched on the first query of a container;
 * locally a value in `CURSOR_SECRET`. At least 32 characters either way.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { optionalString, type Env } from '../config';
import { ConfigError } from '../errors';

export type CursorSecretSource = { kind: 'value'; value: string } | { kind: 'secret'; secretArn: string };

const MIN_SECRET_LENGTH = 32;

/**
 * @throws ConfigError when neither is set, or the value is too short.
 * @example
 * const source = readCursorSecretSource(process.env); // { kind: 'secret', secretArn: 'arn:aws:secretsmanager:...' }
 */
export function readCursorSecretSource(env: Env): CursorSecretSource {
  const value = optionalString(env, 'CURSOR_SECRET');
  if (value !== undefined) {
    if (value.length < MIN_SECRET_LENGTH)
      throw new ConfigError(`CURSOR_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    return { kind: 'value', value };
  }
  const secretArn = optionalString(env, 'CURSOR_SECRET_ARN');
  if (secretArn === undefined)
    throw new ConfigError('CURSOR_SECRET_ARN (or CURSOR_SECRET) is required but neither is set');
  return { kind: 'secret', secretArn };
}

/**
 * The secret as the cursor code takes it, fetched once; a failed fetch is not kept, so the next
 * query tries again.
 *
 * @example
 * const cursorSecret = cursorSecretLoader(source, () => createSecretsManagerClient(aws));
 * const secret = await cursorSecret();
 */
export function cursorSecretLoader(
  source: CursorSecretSource,
  secrets: () => SecretsManagerClient,
): () => Promise<Buffer> {
  let loaded: Promise<Buffer> | undefined;
  const fetch = async (): Promise<Buffer> => {
    if (source.kind === 'value') return Buffer.from(source.value, 'utf8');
    const { SecretString } = await secrets().send(new GetSecretValueCommand({ SecretId: source.secretArn }));
    if (!SecretString || SecretString.length < MIN_SECRET_LENGTH)
      throw new ConfigError(`the cursor secret has no SecretString of at least ${MIN_SECRET_LENGTH} characters`);
    return Buffer.from(SecretString, 'utf8');
  };
  return () => {
    loaded ??= fetch().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
}
