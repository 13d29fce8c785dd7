/**
 * Where the keys CLI works: a deployed stage's key store (the account and region the SDK's chain and
 * the flags give, as `npm run stage` resolves them), or the local stack's, from the file `npm start`
 * writes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SSMClient } from '@aws-sdk/client-ssm';
import { errorMessage, isPlainObject } from '../../lib/errors';
import { awsClientConfig, resolvedRegion } from '../stage/awsTarget';
import { CliError } from '../stage/errors';
import { stageNames } from '../stage/names';
import { STACK_FILE, type TargetOptions } from './args';
import type { KeyStore } from './store';

export interface Target {
  ssm: SSMClient;
  store: KeyStore;
  /** For the first line of the output: `stage dev in eu-west-1`, `the local stack`. */
  label: string;
  /** The flags that name this target again, for the commands the output suggests. */
  flags: string;
  /** `--region R [--profile P]` for the `aws ...` commands the output suggests. */
  awsFlags: string;
  /** The old hash-list parameter (`import-legacy`); none locally. */
  legacyParameter: string | undefined;
}

/** The fields of the stack file this reads (scripts/start.ts writes them). */
interface LocalStackFile {
  ssmEndpoint: string;
  region: string;
  apiKeysPath: string;
}

async function readStackFile(file: string): Promise<LocalStackFile> {
  const resolved = path.resolve(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(resolved, 'utf8'));
  } catch (error) {
    throw new CliError('USAGE', `cannot read ${resolved}: is \`npm start\` running? (${errorMessage(error)})`, {
      cause: error,
    });
  }
  const fields = ['ssmEndpoint', 'region', 'apiKeysPath'] as const;
  const missing = isPlainObject(parsed)
    ? fields.filter((field) => typeof parsed[field] !== 'string' || parsed[field] === '')
    : [...fields];
  if (missing.length > 0)
    throw new CliError(
      'USAGE',
      `${resolved} has no ${missing.join(', ')}: is \`npm start\` running, and from this version of the project?`,
    );
  return parsed as unknown as LocalStackFile;
}

/**
 * An SSM client and the store it works on.
 *
 * @throws CliError (USAGE) for a missing or incomplete stack file, (NO_REGION) when no region is given.
 * @example
 * const { ssm, store } = await openTarget({ kind: 'stage', stage: 'dev', region: 'eu-west-1', profile: undefined });
 */
export async function openTarget(options: TargetOptions, env: NodeJS.ProcessEnv): Promise<Target> {
  if (options.kind === 'local') {
    const stack = await readStackFile(options.stackFile);
    // Fixed credentials: the local SSM takes any, and an expired SSO session must not stand in the way.
    const ssm = new SSMClient({
      endpoint: stack.ssmEndpoint,
      region: stack.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const flags = options.stackFile === STACK_FILE ? '--local' : `--local --stack ${options.stackFile}`;
    return {
      ssm,
      store: { path: stack.apiKeysPath, stage: 'local' },
      label: 'the local stack',
      flags,
      awsFlags: `--endpoint-url ${stack.ssmEndpoint} --region ${stack.region}`,
      legacyParameter: undefined,
    };
  }
  const ssm = new SSMClient(awsClientConfig(options, env));
  const region = await resolvedRegion(ssm);
  const names = stageNames(options.stage);
  const profile = options.profile ? ` --profile ${options.profile}` : '';
  return {
    ssm,
    store: { path: names.apiKeysPath, stage: options.stage },
    label: `stage ${options.stage} in ${region}`,
    flags: `--stage ${options.stage} --region ${region}${profile}`,
    awsFlags: `--region ${region}${profile}`,
    legacyParameter: names.legacyApiKeyParameter,
  };
}
