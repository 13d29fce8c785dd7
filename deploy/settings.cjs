// What a stage asks for, read once from its params (serverless.yml `params:`) and checked, so that a
// wrong combination fails `serverless package` with one clear sentence instead of a broken stack.
'use strict';

const ROLES = ['all', 'edge', 'central'];
const DATABASE_MODES = ['external', 'managed'];
const FAILURE_DESTINATIONS = ['s3', 'sqs'];

/** A configuration mistake: printed as its message alone (the framework prints a thrown error's stack). */
class StageConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StageConfigError';
    this.stack = `${this.name}: ${message}`;
  }
}

/** A param as a list: a YAML list, or a comma-separated string ("" is the empty list). */
function list(value) {
  const items = Array.isArray(value) ? value : String(value ?? '').split(',');
  return items.map((item) => String(item).trim()).filter((item) => item.length > 0);
}

function flag(name, value) {
  const text = String(value).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false' || text === '') return false;
  throw new StageConfigError(`param ${name} must be true or false, got ${JSON.stringify(value)}`);
}

function number(name, value, min, max) {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max)
    throw new StageConfigError(`param ${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return parsed;
}

function oneOf(name, value, allowed) {
  const text = String(value).trim();
  if (!allowed.includes(text))
    throw new StageConfigError(`param ${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return text;
}

/**
 * @param {(address: string) => Promise<unknown>} resolveVariable the framework's resolver
 * @example
 * const settings = await readSettings(resolveVariable); // settings.role === 'all'
 */
async function readSettings(resolveVariable) {
  const param = (name) => resolveVariable(`param:${name}`);
  const stage = String(await resolveVariable('sls:stage'));
  const role = oneOf('role', await param('role'), ROLES);
  const relayTargets = list(await param('relayTargets'));
  const network = {
    subnetIds: list(await param('subnetIds')),
    securityGroupIds: list(await param('securityGroupIds')),
    vpcId: String(await param('vpcId')).trim(),
    endpoints: flag('vpcEndpoints', await param('vpcEndpoints')),
    routeTableIds: list(await param('routeTableIds')),
  };
  const database = {
    mode: oneOf('database', await param('database'), DATABASE_MODES),
    proxy: flag('databaseProxy', await param('databaseProxy')),
    minCapacity: number('databaseMinCapacity', await param('databaseMinCapacity'), 0, 256),
    maxCapacity: number('databaseMaxCapacity', await param('databaseMaxCapacity'), 1, 256),
    deletionProtection: flag('databaseDeletionProtection', await param('databaseDeletionProtection')),
    backupRetentionDays: number('databaseBackupRetentionDays', await param('databaseBackupRetentionDays'), 1, 35),
    secretKmsKeyArn: String(await param('databaseSecretKmsKeyArn')).trim(),
  };
  const failures = {
    destination: oneOf('failureDestination', await param('failureDestination'), FAILURE_DESTINATIONS),
    // An object must outlive the DLQ message announcing it (the queue keeps messages 14 days).
    retentionDays: number('failuresRetentionDays', await param('failuresRetentionDays'), 15, 3650),
    bucketName: String(await param('failuresBucketName')).trim(),
    retainOnDelete: flag('failuresBucketRetain', await param('failuresBucketRetain')),
  };
  const settings = {
    stage,
    role,
    relayTargets,
    network,
    database,
    failures,
    hasDatabase: role !== 'edge',
    // The relay is what an edge stage is for; a central stage fans out only when given targets.
    hasRelay: role !== 'central' || relayTargets.length > 0,
    migrateOnDeploy: flag('migrateOnDeploy', await param('migrateOnDeploy')),
    inVpc: network.subnetIds.length > 0,
  };
  check(settings);
  return settings;
}

const AWS_ID = {
  subnet: /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/,
  sg: /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/,
  vpc: /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/,
  rtb: /^rtb-([0-9a-f]{8}|[0-9a-f]{17})$/,
};

/** A typo in an id otherwise shows only as a failed stack update, minutes into the deploy. */
function checkIds(name, ids, kind) {
  for (const id of ids)
    if (!AWS_ID[kind].test(id)) throw new StageConfigError(`param ${name}: ${JSON.stringify(id)} is not a ${kind} id`);
}

function check({ role, relayTargets, network, database, failures, hasDatabase, inVpc }) {
  checkIds('subnetIds', network.subnetIds, 'subnet');
  checkIds('securityGroupIds', network.securityGroupIds, 'sg');
  checkIds('routeTableIds', network.routeTableIds, 'rtb');
  if (network.vpcId) checkIds('vpcId', [network.vpcId], 'vpc');
  if (role === 'edge' && relayTargets.length === 0)
    throw new StageConfigError('role edge relays to the central stream: set param relayTargets to its ARN');
  if (inVpc !== network.securityGroupIds.length > 0)
    throw new StageConfigError('params subnetIds and securityGroupIds go together: set both or neither');
  if (network.endpoints && !(inVpc && network.vpcId && network.routeTableIds.length > 0))
    throw new StageConfigError('param vpcEndpoints needs subnetIds, securityGroupIds, vpcId and routeTableIds');
  if (hasDatabase && database.mode === 'managed' && !(inVpc && network.vpcId))
    throw new StageConfigError('param database=managed needs subnetIds (two or more AZs), securityGroupIds and vpcId');
  if (hasDatabase && database.mode === 'managed' && network.subnetIds.length < 2)
    throw new StageConfigError('param database=managed needs subnets in at least two availability zones');
  if (database.proxy && database.mode !== 'managed')
    throw new StageConfigError('param databaseProxy=true needs database=managed (bring your own proxy with external)');
  if (database.secretKmsKeyArn && !/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/.test(database.secretKmsKeyArn))
    throw new StageConfigError(
      'param databaseSecretKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
    );
  if (failures.bucketName && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(failures.bucketName))
    throw new StageConfigError(
      'param failuresBucketName must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
    );
  if (database.minCapacity > database.maxCapacity)
    throw new StageConfigError('param databaseMinCapacity is above databaseMaxCapacity');
}

module.exports = { readSettings, StageConfigError, list };
