/**
 * The names serverless.yml gives a stage's resources by convention (params `databaseSecretArn`, the key
 * store's path), and the old API key hash parameter that `npm run keys -- import-legacy` reads.
 */
import { keyStorePath } from '../../lib/auth/keyRecord';

export const SERVICE = 'telemetry-pipeline';

export interface StageNames {
  stage: string;
  /** The key store: one SecureString parameter per key right under it (lib/auth/keyRecord.ts). */
  apiKeysPath: string;
  /** The comma-separated hash list the functions read before the key store; only imported from now on. */
  legacyApiKeyParameter: string;
  databaseSecret: string;
  stack: string;
}

/**
 * @example
 * stageNames('dev').apiKeysPath; // '/telemetry-pipeline/dev/api-keys/'
 */
export function stageNames(stage: string): StageNames {
  return {
    stage,
    apiKeysPath: keyStorePath(SERVICE, stage),
    legacyApiKeyParameter: `/${SERVICE}/${stage}/api-key-hashes`,
    databaseSecret: `${SERVICE}/${stage}/database`,
    stack: `${SERVICE}-${stage}`,
  };
}
