/** The names serverless.yml gives a stage's resources by convention (params `apiKeyHashes`, `databaseSecretArn`). */

export const SERVICE = 'telemetry-pipeline';

export interface StageNames {
  stage: string;
  apiKeyParameter: string;
  databaseSecret: string;
  stack: string;
}

/**
 * @example
 * stageNames('dev').apiKeyParameter; // '/telemetry-pipeline/dev/api-key-hashes'
 */
export function stageNames(stage: string): StageNames {
  return {
    stage,
    apiKeyParameter: `/${SERVICE}/${stage}/api-key-hashes`,
    databaseSecret: `${SERVICE}/${stage}/database`,
    stack: `${SERVICE}-${stage}`,
  };
}
