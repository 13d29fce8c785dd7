// Schema on deploy: a custom resource that invokes the migrate function, inside the VPC, before the
// stream consumer starts. Its `MigrationsHash` changes with the SQL in migrations/, so CloudFormation
// updates the resource (and the function runs the new migrations) exactly when they change.
'use strict';

const { createHash } = require('node:crypto');
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { databaseIdentity } = require('./database.cjs');
const { endpointIds } = require('./network.cjs');

const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** sha256 over each migration's name and contents, in the order they are applied. */
function migrationsHash(dir = MIGRATIONS_DIR) {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir)
    .filter((file) => /^\d+_.+\.sql$/.test(file))
    .sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(path.join(dir, name)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** The functions that read or write the schema: updated only after the migrations have run. */
const SCHEMA_USERS = ['ConsumerLambdaFunction', 'StatusLambdaFunction', 'FillLambdaFunction', 'MaintainLambdaFunction'];

function databaseWaits(settings) {
  if (settings.database.mode !== 'managed') return [];
  return settings.database.proxy ? ['DatabaseInstance', 'DatabaseProxyTargetGroup'] : ['DatabaseInstance'];
}

async function migrationResources(settings, resolveVariable) {
  if (!settings.hasDatabase || !settings.migrateOnDeploy) return {};
  const waitFor = [...endpointIds(settings), ...databaseWaits(settings)];
  return {
    Migrations: {
      Type: 'Custom::DatabaseMigrations',
      ...(waitFor.length > 0 ? { DependsOn: waitFor } : {}),
      Properties: {
        ServiceToken: { 'Fn::GetAtt': ['MigrateLambdaFunction', 'Arn'] },
        // CloudFormation stops waiting for an answer after this many seconds (the default is an
        // hour). The function answers before its own 300 s timeout; this covers it never starting.
        ServiceTimeout: 360,
        MigrationsHash: migrationsHash(),
        Database: await databaseIdentity(settings, resolveVariable),
      },
    },
  };
}

/** DependsOn for what must wait for the schema: the functions that use it and the consumer's trigger. */
function migrationExtensions(settings) {
  if (!settings.hasDatabase || !settings.migrateOnDeploy) return {};
  const extensions = { ConsumerEventSourceMappingKinesisTelemetryStream: { DependsOn: ['Migrations'] } };
  for (const id of SCHEMA_USERS) extensions[id] = { DependsOn: ['Migrations'] };
  // Ingest last: a new event format (migrations/003's version 2, with the tenant) reaches the stream
  // only once the consumer that reads it is in place, rather than being dead-lettered by the old one
  // while a migration runs.
  extensions.IngestLambdaFunction = { DependsOn: ['ConsumerLambdaFunction'] };
  return extensions;
}

module.exports = { migrationExtensions, migrationResources, migrationsHash };
