// What authenticating callers and signing query cursors need: ingest and status read the API keys
// from SSM (one SecureString parameter per key under the stage's path, written by `npm run keys`),
// and status signs the query API's cursors with a secret the stack generates.
'use strict';

/** The SSM path the keys are parameters right under (lib/auth/keyRecord.ts keyStorePath). */
function apiKeysPath(names) {
  return `/${names.service}/${names.stage}/api-keys/`;
}

/**
 * GetParametersByPath is authorised on the path's own ARN; the parameters under it are named too, so
 * the grant holds whichever of the two IAM evaluates. SecureString values are encrypted with the
 * account's AWS-managed key `aws/ssm`, whose key policy lets SSM decrypt for any principal allowed
 * the read: no kms:Decrypt grant is needed (a customer-managed key would need one).
 */
function apiKeyStatements(names) {
  const path = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${apiKeysPath(names).replace(/\/$/, '')}`;
  return [
    {
      Sid: 'ReadApiKeys',
      Effect: 'Allow',
      Action: ['ssm:GetParametersByPath'],
      Resource: [{ 'Fn::Sub': path }, { 'Fn::Sub': `${path}/*` }],
    },
  ];
}

/** The cursor secret exists where the status function does (stages with a database). */
function cursorSecretResources(settings, names) {
  if (!settings.hasDatabase) return {};
  return {
    CursorSecret: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        Name: `${names.service}/${names.stage}/cursor-secret`,
        Description: `Signs the query API's page cursors (stage ${names.stage}); replacing it only invalidates cursors in use`,
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
    },
  };
}

function cursorSecretStatements(settings) {
  if (!settings.hasDatabase) return [];
  return [
    {
      Sid: 'ReadCursorSecret',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [{ Ref: 'CursorSecret' }],
    },
  ];
}

module.exports = { apiKeysPath, apiKeyStatements, cursorSecretResources, cursorSecretStatements };
