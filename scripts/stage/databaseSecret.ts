/**
 * The Secrets Manager secret serverless.yml's `databaseSecretArn` names by convention
 * (`telemetry-pipeline/<stage>/database`). It holds a password the operator owns, so this only
 * checks it and says how to create it; it never creates, changes or prints it.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseRdsSecret } from '../../lib/db/credentials';
import { errorMessage, isPlainObject } from '../../lib/errors';
import { isServiceError, serviceFailure } from './awsErrors';
import type { DatabaseMode } from './args';
import { awsFlags, type Where } from './commands';
import type { Check, StepResult } from './report';

const WHAT = 'database secret';
const ENCRYPTION = 'secret encryption';
const FIELDS = ['host', 'port', 'username', 'password', 'dbname'] as const;
const REQUIRED = ['host', 'username', 'password'] as const;
const AWS_MANAGED_KEY = 'alias/aws/secretsmanager';

/** What the operator puts in db.json: the RDS secret format, placeholders only. */
export const SECRET_SHAPE = {
  host: '<database host>',
  port: 5432,
  username: '<user>',
  password: '<password>',
  dbname: '<database name>',
};

function row(where: Where, status: Check['status'], detail: string): Check {
  return { what: WHAT, status, detail: `${where.names.databaseSecret}: ${detail}` };
}

/** Mirrors parseRdsSecret's own test of a field, so a row names exactly what it refused. */
function present(value: unknown): boolean {
  return (typeof value === 'string' && value.length > 0) || typeof value === 'number';
}

/** Names what is wrong without quoting anything from the secret. */
function problem(text: string, error: unknown): string {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return errorMessage(error);
  }
  if (isPlainObject(record)) {
    const missing = REQUIRED.filter((name) => !present(record[name]));
    if (missing.length > 0) return `not in RDS format: no ${missing.join(', ')}`;
    // parseRdsSecret's own message quotes the value.
    if (/invalid port/.test(errorMessage(error))) return 'not in RDS format: port is not a number from 1 to 65535';
  }
  return errorMessage(error);
}

function shapeDetail(text: string): string {
  const record = JSON.parse(text) as Record<string, unknown>;
  const fields = FIELDS.filter((name) => present(record[name]));
  const defaults: string[] = [];
  if (!present(record.port)) defaults.push('no port (5432 is used)');
  if (!present(record.dbname)) defaults.push('no dbname (postgres is used)');
  return `RDS format: ${fields.join(', ')}${defaults.length ? `; ${defaults.join('; ')}` : ''}`;
}

function missingAdvice(where: Where): string[] {
  return [
    `create it (its password is yours: this never creates it). Put this in db.json, with your values:\n${JSON.stringify(SECRET_SHAPE, null, 2)}`,
    `then: aws secretsmanager create-secret --name ${where.names.databaseSecret} --secret-string file://db.json ${awsFlags(where)}` +
      ' (and remove db.json)',
  ];
}

/**
 * A KmsKeyId as DescribeSecret gives it (a key ARN, a key id, an alias name or an alias ARN), as the
 * key ARN a kms:Decrypt grant needs; an alias cannot be turned into one without asking KMS.
 */
function keyArn(kmsKeyId: string, secretArn: string | undefined): { arn: string } | { alias: string } {
  if (kmsKeyId.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(kmsKeyId)) return { alias: kmsKeyId };
  if (kmsKeyId.startsWith('arn:')) return { arn: kmsKeyId };
  const [, partition = 'aws', , region = '', account = ''] = (secretArn ?? '').split(':');
  return { arn: `arn:${partition}:kms:${region}:${account}:key/${kmsKeyId}` };
}

function encryption(where: Where, kmsKeyId: string | undefined, secretArn: string | undefined): StepResult {
  if (!kmsKeyId || kmsKeyId === AWS_MANAGED_KEY || kmsKeyId.endsWith(`:${AWS_MANAGED_KEY}`))
    return {
      checks: [{ what: ENCRYPTION, status: 'ok', detail: `AWS-managed key (${AWS_MANAGED_KEY}): nothing to grant` }],
      advice: [],
    };
  const key = keyArn(kmsKeyId, secretArn);
  const inYaml = `or set it under params.${where.names.stage} in serverless.yml`;
  if ('alias' in key) {
    const param = 'databaseSecretKmsKeyArn=<key arn>';
    return {
      checks: [
        { what: ENCRYPTION, status: 'ok', detail: `customer-managed KMS key ${key.alias}: the stage needs ${param}` },
      ],
      advice: [
        `the functions need kms:Decrypt on the key behind ${key.alias}: the param ${param} (${inYaml}), ` +
          `the ARN from \`aws kms describe-key --key-id ${key.alias} --query KeyMetadata.Arn --output text ${awsFlags(where)}\``,
      ],
      deployParams: [param],
    };
  }
  const param = `databaseSecretKmsKeyArn=${key.arn}`;
  return {
    checks: [
      {
        what: ENCRYPTION,
        status: 'ok',
        detail: 'customer-managed KMS key: the stage needs the param databaseSecretKmsKeyArn (its ARN is below)',
      },
    ],
    advice: [`the functions need kms:Decrypt on the secret's key: the param ${param} (${inYaml})`],
    deployParams: [param],
  };
}

/**
 * `init` and `check` for the database: with `external`, that the secret exists, can be read and is in
 * the RDS format the functions parse, and whether its key needs a grant; with `managed`, nothing.
 *
 * @example
 * const { checks, advice } = await databaseSecretStep(secrets, where, 'external');
 */
export async function databaseSecretStep(
  secrets: SecretsManagerClient,
  where: Where,
  mode: DatabaseMode,
): Promise<StepResult> {
  if (mode === 'managed')
    return {
      checks: [
        {
          what: WHAT,
          status: 'ok',
          detail: 'not checked (--database managed): RDS creates and manages the secret with the database',
        },
      ],
      advice: [],
      // serverless.yml's default is external, which would look for the secret this mode has not got.
      deployParams: ['database=managed'],
    };
  const name = where.names.databaseSecret;
  let described: { ARN?: string; KmsKeyId?: string; DeletedDate?: Date };
  try {
    described = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (error) {
    if (isServiceError(error) && error.name === 'ResourceNotFoundException')
      return { checks: [row(where, 'missing', 'does not exist')], advice: missingAdvice(where) };
    return {
      checks: [row(where, 'invalid', `cannot describe it: ${serviceFailure(error, 'DescribeSecret')}`)],
      advice: [],
    };
  }
  if (described.DeletedDate)
    return {
      checks: [row(where, 'invalid', `scheduled for deletion on ${described.DeletedDate.toISOString()}`)],
      advice: [`restore it: aws secretsmanager restore-secret --secret-id ${name} ${awsFlags(where)}`],
    };
  const keyResult = encryption(where, described.KmsKeyId, described.ARN);
  let text: string | undefined;
  try {
    ({ SecretString: text } = await secrets.send(new GetSecretValueCommand({ SecretId: name })));
  } catch (error) {
    const detail = `exists, but its value cannot be read: ${serviceFailure(error, 'GetSecretValue')}`;
    return { ...keyResult, checks: [row(where, 'invalid', detail), ...keyResult.checks] };
  }
  if (text === undefined)
    return {
      checks: [
        row(where, 'invalid', 'holds a binary value; the functions read a JSON SecretString'),
        ...keyResult.checks,
      ],
      advice: keyResult.advice,
    };
  try {
    parseRdsSecret(text, undefined);
  } catch (error) {
    return {
      checks: [row(where, 'invalid', problem(text, error)), ...keyResult.checks],
      advice: [
        `put the RDS format in it: aws secretsmanager put-secret-value --secret-id ${name} --secret-string file://db.json ${awsFlags(where)}` +
          `, db.json like ${JSON.stringify(SECRET_SHAPE)}`,
        ...keyResult.advice,
      ],
    };
  }
  return { ...keyResult, checks: [row(where, 'ok', shapeDetail(text)), ...keyResult.checks] };
}
