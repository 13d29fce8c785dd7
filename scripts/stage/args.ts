/** The stage CLI's command line: one command, the stage, and where in AWS. */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT, TENANT_PATTERN } from '../../lib/auth/keyRecord';
import { CliError } from './errors';

export const COMMANDS = ['init', 'check'] as const;
export type Command = (typeof COMMANDS)[number];
export type DatabaseMode = 'external' | 'managed';
/** Commands this CLI had before the key store; their keys are `npm run keys`'s now. */
const MOVED = new Map([
  ['add-key', 'npm run keys -- create --stage <name> --tenant <T> --name <N>'],
  ['revoke-key', 'npm run keys -- revoke --stage <name> --key <id>'],
]);

export interface StageOptions {
  command: Command;
  stage: string;
  region: string | undefined;
  profile: string | undefined;
  database: DatabaseMode;
  /** init: the tenant of the stage's first key. */
  tenant: string;
}

export const USAGE = `npm run stage -- <init|check> --stage <name> [--region R] [--profile P] [--database external|managed]
  [--tenant T]

Prepares and checks what a first \`serverless deploy --stage <name>\` needs. Safe to run again.

  init         create the stage's first API key in its key store (/telemetry-pipeline/<stage>/api-keys/)
               when it has no active key (the key is printed once; --tenant T, default ${DEFAULT_TENANT}),
               and check the database secret
  check        the same checks, creating nothing
  add-key, revoke-key: moved to \`npm run keys\` (create, list, revoke, rotate, import-legacy; see --help there)

  --region R   else AWS_REGION, AWS_DEFAULT_REGION, or the profile's region
  --profile P  a profile from ~/.aws/config (else AWS_PROFILE or the default chain)
  --database external   (default) the secret telemetry-pipeline/<stage>/database is yours: checked
  --database managed    RDS creates and manages the secret: not checked

Exit code: 0 everything ok or created, 1 something a deploy needs is missing or invalid,
2 the checks could not run (flags, region, credentials, network) or the change was refused.`;

/** CloudFormation stack names (telemetry-pipeline-<stage>) allow letters, digits and hyphens only. */
export const STAGE_NAME = /^[A-Za-z0-9-]{1,64}$/;

function usage(message: string): CliError {
  return new CliError('USAGE', `${message} (see --help)`);
}

/**
 * @returns the options, or 'help' when --help was asked for.
 * @throws CliError (USAGE) for an unknown command or flag, a missing or malformed value.
 * @example
 * parseStageArgs(['init', '--stage', 'dev', '--tenant', 'acme']);
 */
export function parseStageArgs(argv: string[]): StageOptions | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    // `revoke-key --hash ...` from habit: the flag is gone too, but where the command went matters more.
    movedCommand(parseArgs({ args: argv, allowPositionals: true, strict: false, options: OPTIONS }).positionals[0]);
    throw new CliError('USAGE', `${(error as Error).message} (see --help)`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...rest] = positionals;
  if (!command) throw usage(`say what to do: ${COMMANDS.join(', ')}`);
  movedCommand(command);
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
  const tenant = values.tenant ?? DEFAULT_TENANT;
  if (values.tenant !== undefined && command !== 'init') throw usage('--tenant applies to init (its first key)');
  if (!TENANT_PATTERN.test(tenant))
    throw usage(
      `--tenant must be 1-63 lowercase letters, digits and dashes, starting with a letter or digit; got ${JSON.stringify(tenant)}`,
    );
  return {
    command: command as Command,
    stage,
    region: values.region || undefined,
    profile: values.profile || undefined,
    database,
    tenant,
  };
}

/** @throws CliError (USAGE) saying where a command that moved to `npm run keys` went. */
function movedCommand(command: string | undefined): void {
  const moved = command === undefined ? undefined : MOVED.get(command);
  if (moved) throw new CliError('USAGE', `${command} moved to the keys CLI: ${moved} (see npm run keys -- --help)`);
}

const OPTIONS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  database: { type: 'string' },
  tenant: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
}
