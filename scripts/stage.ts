/**
 * `npm run stage -- <init|check> --stage <name> [--region R] [--profile P] [--database external|managed]
 * [--tenant T]`: prepares and checks, idempotently, what a first `serverless deploy --stage <name>` needs
 * that the stack does not create itself: a first API key in the stage's key store, and the database
 * secret. Keys after the first are `npm run keys`'s. `--help` says more (scripts/stage/args.ts).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { errorMessage } from '../lib/errors';
import { apiKeyStoreStep } from './stage/apiKeyStore';
import { parseStageArgs, type StageOptions, USAGE } from './stage/args';
import { awsClientConfig, credentialsAccount, resolvedRegion } from './stage/awsTarget';
import { deployCommand, type Where } from './stage/commands';
import { databaseSecretStep } from './stage/databaseSecret';
import { stageNames } from './stage/names';
import { type Check, checksPassed, renderChecks, type StepResult } from './stage/report';

function printKey(key: string, stage: string): void {
  console.log(`\nnew API key for stage ${stage}:\n\n  ${key}\n`);
  console.log('It is shown only now: store it where its clients get it. Only its SHA-256 is kept in AWS.\n');
  console.log('The functions reload the keys every 60 s: later keys need no deploy (npm run keys).\n');
}

async function run(options: StageOptions): Promise<number> {
  const config = awsClientConfig(options, process.env);
  const ssm = new SSMClient(config);
  const region = await resolvedRegion(ssm);
  const account = await credentialsAccount(ssm);
  const where: Where = { names: stageNames(options.stage), region, profile: options.profile };
  console.log(`stage ${options.stage} in ${region}${account ? ` (account ${account})` : ''}`);

  const keys = await apiKeyStoreStep(ssm, where, { create: options.command === 'init', tenant: options.tenant });
  // The key goes out as soon as it is stored: a later step that fails must not take it with it.
  if (keys.newKey) printKey(keys.newKey, options.stage);
  const results: StepResult[] = [
    keys,
    await databaseSecretStep(new SecretsManagerClient(config), where, options.database),
  ];

  const checks: Check[] = results.flatMap((result) => result.checks);
  console.log(renderChecks(checks, process.stdout.isTTY === true));
  const advice = results.flatMap((result) => result.advice);
  for (const line of advice) console.log(`- ${line}`);
  const passed = checksPassed(checks);
  if (passed)
    console.log(`ready to deploy: ${deployCommand(where, { params: results.flatMap((r) => r.deployParams ?? []) })}`);
  return passed ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const options = parseStageArgs(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return run(options);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`stage: ${errorMessage(error).replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = 2;
  },
);
