/** The stage CLI's command line: one command, the stage, and where in AWS. */
import { parseArgs } from 'node:util';
import { CliError } from './errors';

export const COMMANDS = ['init', 'check', 'add-key', 'revoke-key'] as const;
export type Command = (typeof COMMANDS)[number];
export type DatabaseMode = 'external' | 'managed';

export interface StageOptions {
  command: Command;
  stage: string;
  region: string | undefined;
  profile: string | undefined;
  database: DatabaseMode;
  /** revoke-key: the hex prefix of the hash(es) to remove, lowercased. */
  hashPrefix: string | undefined;
}

export const USAGE = `npm run stage -- <command> --stage <name> [--region R] [--profile P] [--database external|managed]

Prepares and checks what a first \`serverless deploy --stage <name>\` needs. Safe to run again.

  init         create the API key hashes parameter with a first key if it is missing (the key is
               printed once), and check the database secret
  check        the same checks, creating nothing
  add-key      generate another key and add its hash (the others stay valid)
  revoke-key --hash <prefix>   remove the hash(es) starting with <prefix> (8+ hex characters);
               never the last one

  --region R   else AWS_REGION, AWS_DEFAULT_REGION, or the profile's region
  --profile P  a profile from ~/.aws/config (else AWS_PROFILE or the default chain)
  --database external   (default) the secret telemetry-pipeline/<stage>/database is yours: checked
  --database managed    RDS creates and manages the secret: not checked

Exit code: 0 everything ok or created, 1 something a deploy needs is missing or invalid,
2 the checks could not run (flags, region, credentials, network) or the change was refused.`;

// CloudFormation stack names (telemetry-pipeline-<stage>) allow letters, digits and hyphens only.
const STAGE_NAME = /^[A-Za-z0-9-]{1,64}$/;
const HASH_PREFIX = /^[0-9a-f]{8,64}$/;

function usage(message: string): CliError {
  return new CliError('USAGE', `${message} (see --help)`);
}

/**
 * @returns the options, or 'help' when --help was asked for.
 * @throws CliError (USAGE) for an unknown command or flag, a missing or malformed value.
 * @example
 * parseStageArgs(['revoke-key', '--stage', 'dev', '--hash', 'ab12cd34']);
 */
export function parseStageArgs(argv: string[]): StageOptions | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new CliError('USAGE', `${(error as Error).message} (see --help)`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...rest] = positionals;
  if (!command) throw usage(`say what to do: ${COMMANDS.join(', ')}`);
  if (!(COMMANDS as readonly string[]).includes(command))
    throw usage(`unknown command ${JSON.stringify(command)}: use ${COMMANDS.join(', ')}`);
  if (rest.length > 0) throw usage(`unexpected argument ${JSON.stringify(rest[0])}`);
  const { stage } = values;
  if (!stage) throw usage('--stage <name> is required');
  if (!STAGE_NAME.test(stage)) throw usage(`--stage must be letters, digits and hyphens, got ${JSON.stringify(stage)}`);
  if (stage === 'local') throw usage('the local stage runs on this machine (npm start) and is never deployed');
  const database = values.database ?? 'external';
  if (database !== 'external' && database !== 'managed')
    throw usage(`--database must be external or managed, got ${JSON.stringify(database)}`);
  if (values.database !== undefined && command !== 'init' && command !== 'check')
    throw usage('--database applies to init and check');
  let hashPrefix: string | undefined;
  if (command === 'revoke-key') {
    hashPrefix = values.hash?.toLowerCase();
    if (!hashPrefix) throw usage('revoke-key needs --hash <prefix> (the first 8+ hex characters, as check shows them)');
    if (!HASH_PREFIX.test(hashPrefix)) throw usage('--hash must be 8 to 64 hex characters');
  } else if (values.hash !== undefined) {
    throw usage('--hash applies to revoke-key');
  }
  return {
    command: command as Command,
    stage,
    region: values.region || undefined,
    profile: values.profile || undefined,
    database,
    hashPrefix,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      database: { type: 'string' },
      hash: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
