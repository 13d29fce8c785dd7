/**
 * The local stack's one API key, "local-dev-key" for the tenant `local`, put into the stack's SSM
 * stand-in under the stage's key path, where the functions read keys as deployed ones do. More keys
 * and tenants: `npm run keys -- create --local --tenant <t> --name <n>`.
 */
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { hashApiKey } from '../../../lib/auth/apiKey';
import { formatKeyRecord } from '../../../lib/auth/keyRecord';

export const LOCAL_API_KEY = 'local-dev-key';
export const LOCAL_TENANT = 'local';
export const LOCAL_KEY_ID = 'key_10ca10000001';

/**
 * Overwrites: a stack started again over the same services keeps one local key, not one per start.
 *
 * @example
 * await seedLocalKey(ssm, '/telemetry-pipeline/local/api-keys/');
 */
export async function seedLocalKey(ssm: SSMClient, apiKeysPath: string): Promise<void> {
  const record = formatKeyRecord({
    id: LOCAL_KEY_ID,
    tenant: LOCAL_TENANT,
    name: 'local',
    hash: hashApiKey(LOCAL_API_KEY),
    createdAt: new Date().toISOString(),
    expiresAt: null,
  });
  await ssm.send(
    new PutParameterCommand({
      Name: `${apiKeysPath}${LOCAL_KEY_ID}`,
      Value: record,
      Type: 'SecureString',
      Overwrite: true,
    }),
  );
}
