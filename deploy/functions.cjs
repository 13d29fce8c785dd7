// Which functions a stage deploys and where they run. Their definitions stay in serverless.yml
// (`custom.functions`); this adds the role's choice, the database settings and the VPC.
'use strict';

const { databaseEnvironment } = require('./database.cjs');

/** The functions that talk to Postgres: exactly these run in the VPC when subnets are given. */
const DATABASE_FUNCTIONS = ['status', 'consumer', 'fill', 'maintain', 'migrate'];

/**
 * @example
 * deployedFunctions({ role: 'edge', hasDatabase: false, hasRelay: true }); // ['ingest', 'replay', 'relay']
 */
function deployedFunctions(settings) {
  const names = ['ingest', 'replay'];
  if (settings.hasRelay) names.push('relay');
  if (settings.hasDatabase) names.push(...DATABASE_FUNCTIONS);
  return names;
}

/**
 * The `functions:` block: each deployed function's definition, with the database environment and
 * the VPC added to those that talk to Postgres.
 */
async function functionsBlock(settings, resolveVariable, resolveConfigurationProperty) {
  const block = {};
  for (const name of deployedFunctions(settings)) {
    const definition = await resolveConfigurationProperty(['custom', 'functions', name]);
    if (!definition) throw new Error(`serverless.yml has no custom.functions.${name}`);
    if (!DATABASE_FUNCTIONS.includes(name)) {
      block[name] = definition;
      continue;
    }
    block[name] = {
      ...definition,
      environment: {
        ...(await databaseEnvironment(settings, resolveVariable, { direct: name === 'migrate' })),
        ...definition.environment,
      },
      ...(settings.inVpc
        ? { vpc: { subnetIds: settings.network.subnetIds, securityGroupIds: settings.network.securityGroupIds } }
        : {}),
    };
  }
  return block;
}

module.exports = { functionsBlock, deployedFunctions, DATABASE_FUNCTIONS };
