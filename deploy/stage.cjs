// What serverless.yml takes from code: the parts of a stage that depend on its params (role, network,
// database), decided at package time so that `serverless package` needs no AWS access and each
// combination is a plain template the tests can read. Each `${file(./deploy/stage.cjs):<part>}` in
// serverless.yml reads one part.
'use strict';

const { functionsBlock, deployedFunctions } = require('./functions.cjs');
const { databaseResources } = require('./database.cjs');
const { failureResources } = require('./failures.cjs');
const { endpointResources } = require('./network.cjs');
const { iamStatements, relayTargetArns } = require('./iam.cjs');
const { migrationExtensions, migrationResources } = require('./migrations.cjs');
const { monitoringResources } = require('./monitoring.cjs');
const { cursorSecretResources } = require('./reads.cjs');
const { list, readSettings } = require('./settings.cjs');

async function stageNames(resolveVariable, stage) {
  const service = String(await resolveVariable('self:service'));
  return { service, stage, prefix: `${service}-${stage}`, metricsNamespace: `TelemetryPipeline/${stage}` };
}

async function resources(settings, resolveVariable) {
  const names = await stageNames(resolveVariable, settings.stage);
  const functions = deployedFunctions(settings);
  const iteratorAgeAlarmMs = Number(await resolveVariable('param:iteratorAgeAlarmMs'));
  const database = databaseResources(settings, names);
  const failures = failureResources(settings, names, {
    region: String(await resolveVariable('self:provider.region')),
    dlqAgeAlarmSeconds: Number(await resolveVariable('param:dlqAgeAlarmSeconds')),
  });
  const Resources = {
    ...failures.Resources,
    ...endpointResources(settings, names),
    ...database.Resources,
    ...(await migrationResources(settings, resolveVariable)),
    ...monitoringResources(functions, names, iteratorAgeAlarmMs),
    ...cursorSecretResources(settings, names),
  };
  const Outputs = { ...database.Outputs, ...failures.Outputs };
  if (settings.hasRelay && settings.relayTargets.length === 0) {
    // Where the relay writes unless relayTargets names existing streams.
    Resources.RelayTargetStream = {
      Type: 'AWS::Kinesis::Stream',
      Properties: {
        Name: `${names.prefix}-relay-target`,
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        ShardCount: Number(await resolveVariable('param:shardCount')),
        RetentionPeriodHours: Number(await resolveVariable('param:retentionHours')),
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      },
    };
  }
  if (settings.hasRelay) {
    Outputs.RelayTargets = { Description: 'Streams the relay writes to', Value: relayTargetsValue(settings) };
  }
  return { Resources, Outputs, extensions: mergeExtensions(migrationExtensions(settings), failures.extensions) };
}

/** Two sets of `resources.extensions`, one resource's DependsOn lists joined and Properties merged. */
function mergeExtensions(...sets) {
  const merged = {};
  for (const set of sets)
    for (const [id, extension] of Object.entries(set)) {
      const into = (merged[id] ??= {});
      if (extension.DependsOn) into.DependsOn = [...(into.DependsOn ?? []), ...extension.DependsOn];
      if (extension.Properties) into.Properties = { ...into.Properties, ...extension.Properties };
    }
  return merged;
}

/** RELAY_TARGETS as the relay reads it: comma-separated ARNs (the stack's own target is the only one, or absent). */
function relayTargetsValue(settings) {
  const arns = relayTargetArns(settings);
  return arns.length === 1 ? arns[0] : arns.join(',');
}

/** CORS for browsers on the named origins; none (false) when corsOrigins is empty. */
async function cors(resolveVariable) {
  const origins = list(await resolveVariable('param:corsOrigins'));
  if (origins.length === 0) return false;
  return {
    allowedOrigins: origins,
    // What the ingest and status functions read (authorization: OTLP exporters send a bearer token).
    allowedHeaders: ['content-type', 'content-encoding', 'idempotency-key', 'x-api-key', 'authorization'],
    allowedMethods: ['GET', 'POST', 'OPTIONS'],
    exposedResponseHeaders: ['location', 'retry-after'],
    maxAge: 600,
  };
}

/**
 * Each part is a function the framework calls with its resolvers when serverless.yml reads it, so a
 * part is computed only when asked for (the relay's definition reads `relayTargets` while
 * `functions` reads the relay's definition).
 */
module.exports = {
  functions: async ({ resolveVariable, resolveConfigurationProperty }) =>
    functionsBlock(await readSettings(resolveVariable), resolveVariable, resolveConfigurationProperty),
  iamStatements: async ({ resolveVariable }) => iamStatements(await readSettings(resolveVariable), resolveVariable),
  resources: async ({ resolveVariable }) => resources(await readSettings(resolveVariable), resolveVariable),
  cors: async ({ resolveVariable }) => cors(resolveVariable),
  relayTargets: async ({ resolveVariable }) => relayTargetsValue(await readSettings(resolveVariable)),
};
