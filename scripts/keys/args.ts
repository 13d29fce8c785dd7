/** The keys CLI's command line (`npm run keys -- <command> ...`): one command, its flags, and where the store is. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KEY_ID_PATTERN, KEY_NAME_PATTERN, TENANT_PATTERN } from '../../lib/auth/keyRecord';
import { STAGE_NAME } from '../stage/args';
import { CliError } from '../stage/errors';
import { MAX_KEYS } from './store';
import { parseDuration, parseExpiry } from './time';

export const COMMANDS = ['create', 'list', 'revoke', 'rotate', 'import-legacy'] as const;
export type KeysCommandName = (typeof COMMANDS)[number];

/** The default stack file `npm start` writes. */
export const STACK_FILE = path.join('.local', 'stack.json');
const DEFAULT_OVERLAP_MS = 24 * 3_600_000;

export type TargetOptions =
  | { kind: 'local'; stackFile: string }
  | { kind: 'stage'; stage: string; region: string | undefined; profile: string | undefined };

export type KeysCommand =
  | { command: 'create'; tenant: string; name: string; expiresAt: string | null }
  | { command: 'list'; tenant: string | undefined }
  | { command: 'revoke'; id: string; force: boolean }
  | { command: 'rotate'; id: string; overlapMs: number; expiresAt: string | null }
  | { command: 'import-legacy' };

export type KeysOptions = KeysCommand & { target: TargetOptions; json: boolean };

export const USAGE = `npm run keys -- <command> (--stage <name> [--region R] [--profile P] | --local [--stack FILE]) [--json]

Manages a stage's API keys: one SSM SecureString parameter per key under /telemetry-pipeline/<stage>/api-keys/,
holding its tenant, name, SHA-256 and expiry, never the key. The functions reload the keys every 60 s:
a change works (or stops working) within a minute, without a deploy.

  create --tenant T --name N [--expires <ISO time | 90m | 12h | 30d>]
               a new key for tenant T, printed once (only its SHA-256 is stored)
  list [--tenant T]
               the keys: id, tenant, name, created, expires, state (active, expired, unreadable)
  revoke --key <id> [--force]
               delete a key; refused for the stage's last active key unless --force
  rotate --key <id> [--overlap <90m | 24h | 7d | 0>] [--expires ...]
               a new key with the same tenant and name (printed once); the old one expires after the
               overlap (default 24h; an earlier expiry it has stays), or at once with --overlap 0
  import-legacy
               one record per hash of the old /telemetry-pipeline/<stage>/api-key-hashes parameter not yet
               in the store (tenant default, name legacy-<first 8 hex>); safe to run again

  --stage S    a deployed stage; --region else AWS_REGION, AWS_DEFAULT_REGION or the profile's region;
               --profile a profile from ~/.aws/config. AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL are honoured.
  --local      the stack \`npm start\` runs (its ${STACK_FILE}, or --stack FILE)
  --json       machine-readable output on stdout, nothing else there

Tenants: 1-63 lowercase letters, digits and dashes; names: 1-64 printable ASCII characters; at most ${MAX_KEYS}
keys per stage (each function container reads them all every minute).
Exit code: 0 done, 1 refused or not found (nothing changed), 2 bad flags or AWS unreachable.`;

/** Which flags each command takes, beside the target's and --json. */
const COMMAND_FLAGS: Record<KeysCommandName, readonly string[]> = {
  create: ['tenant', 'name', 'expires'],
  list: ['tenant'],
  revoke: ['key', 'force'],
  rotate: ['key', 'overlap', 'expires'],
  'import-legacy': [],
};
const ALL_COMMAND_FLAGS = ['tenant', 'name', 'expires', 'key', 'force', 'overlap'] as const;

function usage(message: string): CliError {
  return new CliError('USAGE', `${message} (see --help)`);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      local: { type: 'boolean' },
      stack: { type: 'string' },
      tenant: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string' },
      key: { type: 'string' },
      overlap: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
type Values = ReturnType<typeof parse>['values'];

function target(values: Values): TargetOptions {
  if (values.local) {
    if (values.stage !== undefined || values.region !== undefined || values.profile !== undefined)
      throw usage('--local reads the local stack file: it takes no --stage, --region or --profile');
    return { kind: 'local', stackFile: values.stack || STACK_FILE };
  }
  if (values.stack !== undefined) throw usage('--stack goes with --local');
  const { stage } = values;
  if (!stage) throw usage('say where: --stage <name>, or --local for the stack `npm start` runs');
  if (!STAGE_NAME.test(stage)) throw usage(`--stage must be letters, digits and hyphens, got ${JSON.stringify(stage)}`);
  if (stage === 'local') throw usage('the local stage is the stack `npm start` runs: use --local');
  return { kind: 'stage', stage, region: values.region || undefined, profile: values.profile || undefined };
}

function tenant(value: string | undefined): string {
  if (value === undefined) throw usage('--tenant <tenant> is required');
  if (!TENANT_PATTERN.test(value))
    throw usage(
      `--tenant must be 1-63 lowercase letters, digits and dashes, starting with a letter or digit; got ${JSON.stringify(value)}`,
    );
  return value;
}

function keyName(value: string | undefined): string {
  if (value === undefined) throw usage('--name <name> is required (what the key is for: "ci", "checkout service")');
  // The value is not quoted back: a name with control characters could be a key pasted in the wrong place.
  if (!KEY_NAME_PATTERN.test(value))
    throw usage(`--name must be 1-64 printable ASCII characters (no control characters), got ${value.length}`);
  return value;
}

function keyId(value: string | undefined): string {
  if (value === undefined) throw usage('--key <id> is required (the id `list` shows: key_ and 12 hex digits)');
  if (!KEY_ID_PATTERN.test(value))
    // Not quoted back either: someone may pass the key itself where its id belongs.
    throw usage('--key takes a key id as `list` shows it (key_ and 12 lowercase hex digits), not the key itself');
  return value;
}

function expiry(value: string | undefined, now: number): string | null {
  if (value === undefined) return null;
  const parsed = parseExpiry(value, now);
  if (!parsed.ok) throw usage(`--expires ${parsed.problem}`);
  return parsed.iso;
}

function overlap(value: string | undefined): number {
  if (value === undefined) return DEFAULT_OVERLAP_MS;
  const ms = parseDuration(value, { zero: true });
  if (ms === undefined) throw usage('--overlap must be a duration (90m, 24h, 7d), or 0 to revoke the old key at once');
  return ms;
}

/**
 * @returns the options, or 'help' when --help was asked for.
 * @throws CliError (USAGE) for an unknown command or flag, a flag the command does not take, a missing
 *   or malformed value.
 * @example
 * parseKeysArgs(['create', '--stage', 'dev', '--tenant', 'acme', '--name', 'ci', '--expires', '30d'], Date.now());
 */
export function parseKeysArgs(argv: string[], now: number): KeysOptions | 'help' {
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
  const name = command as KeysCommandName;
  for (const flag of ALL_COMMAND_FLAGS)
    if (values[flag] !== undefined && !COMMAND_FLAGS[name].includes(flag))
      throw usage(`--${flag} does not apply to ${name}`);
  const common = { target: target(values), json: values.json === true };
  switch (name) {
    case 'create':
      return {
        ...common,
        command: name,
        tenant: tenant(values.tenant),
        name: keyName(values.name),
        expiresAt: expiry(values.expires, now),
      };
    case 'list':
      return { ...common, command: name, tenant: values.tenant === undefined ? undefined : tenant(values.tenant) };
    case 'revoke':
      return { ...common, command: name, id: keyId(values.key), force: values.force === true };
    case 'rotate':
      return {
        ...common,
        command: name,
        id: keyId(values.key),
        overlapMs: overlap(values.overlap),
        expiresAt: expiry(values.expires, now),
      };
    case 'import-legacy':
      if (common.target.kind === 'local')
        throw usage("import-legacy reads a deployed stage's old hash parameter: use --stage");
      return { ...common, command: name };
  }
}
