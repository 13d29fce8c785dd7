/**
 * The SSM parameter serverless.yml's `apiKeyHashes` resolves at deploy
 * (`{{resolve:ssm:/telemetry-pipeline/<stage>/api-key-hashes}}`): created with a first key, extended,
 * pruned, and checked with the functions' own parser.
 */
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { errorMessage } from '../../lib/errors';
import { describeHashes, generateApiKey, MAX_HASHES, parseHashList, shortHash } from './apiKeys';
import { isServiceError, serviceFailure } from './awsErrors';
import { deployCommand, stageCommand, type Where } from './commands';
import { CliError } from './errors';
import type { Check, StepResult } from './report';

const WHAT = 'API key hashes';
const TOO_MANY = "would not fit in a function's environment (4 KB for all its variables)";

/** SecureString is out: `{{resolve:ssm:...}}` reads only String and StringList parameters. */
type UsableType = 'String' | 'StringList';

type ParameterState =
  | { kind: 'missing' }
  | { kind: 'unusable'; check: Check; advice: string[] }
  | { kind: 'valid'; hashes: string[]; type: UsableType; version: number };

export interface KeyStepResult extends StepResult {
  /** A key made by this run: the caller prints it, once. */
  newKey?: string;
}

function row(where: Where, status: Check['status'], detail: string): Check {
  return { what: WHAT, status, detail: `SSM ${where.names.apiKeyParameter}: ${detail}` };
}

function forceReminder(where: Where): string {
  return (
    `the functions get the hashes at deploy: run \`${deployCommand(where, { force: true })}\` ` +
    '(without --force the deploy says "No changes to deploy": the template holds only the {{resolve:ssm:...}} reference)'
  );
}

async function readParameter(ssm: SSMClient, where: Where): Promise<ParameterState> {
  const name = where.names.apiKeyParameter;
  let parameter: { Type?: string; Value?: string; Version?: number } | undefined;
  try {
    ({ Parameter: parameter } = await ssm.send(new GetParameterCommand({ Name: name })));
  } catch (error) {
    if (isServiceError(error) && error.name === 'ParameterNotFound') return { kind: 'missing' };
    const detail = `cannot read it: ${serviceFailure(error, `GetParameter ${name}`)}`;
    return { kind: 'unusable', check: row(where, 'invalid', detail), advice: [] };
  }
  const type = parameter?.Type;
  if (type !== 'String' && type !== 'StringList') {
    const detail = `is a ${type ?? 'parameter of unknown type'}; CloudFormation's {{resolve:ssm:...}} needs a String`;
    const advice = [
      `replace it with a String parameter of the same hashes (aws ssm delete-parameter, then ${stageCommand('init', where)} makes a new key)`,
    ];
    return { kind: 'unusable', check: row(where, 'invalid', detail), advice };
  }
  try {
    const hashes = parseHashList(parameter?.Value ?? '', name);
    return { kind: 'valid', hashes, type, version: parameter?.Version ?? 0 };
  } catch (error) {
    const advice = [
      'fix it: comma-separated lowercase SHA-256 hex digests of the keys (printf %s "$KEY" | sha256sum), ' +
        'never the keys themselves',
    ];
    return { kind: 'unusable', check: row(where, 'invalid', errorMessage(error)), advice };
  }
}

async function writeParameter(
  ssm: SSMClient,
  where: Where,
  value: string,
  mode: { create: true } | { create: false; type: UsableType },
): Promise<number> {
  const name = where.names.apiKeyParameter;
  const common = {
    Name: name,
    Value: value,
    Description: `SHA-256 hex digests of the API keys of stage ${where.names.stage} (npm run stage)`,
  };
  const input = mode.create
    ? {
        ...common,
        Type: 'String' as const,
        Overwrite: false,
        Tags: [
          { Key: 'service', Value: 'telemetry-pipeline' },
          { Key: 'stage', Value: where.names.stage },
        ],
      }
    : { ...common, Type: mode.type, Overwrite: true };
  try {
    const { Version } = await ssm.send(new PutParameterCommand(input));
    return Version ?? 0;
  } catch (error) {
    if (isServiceError(error) && error.name === 'ParameterAlreadyExists') throw error;
    throw new CliError('AWS', `PutParameter ${name} failed: ${serviceFailure(error, 'PutParameter')}`, {
      cause: error,
    });
  }
}

/**
 * A write that did not follow the version read means another writer came in between; its change may
 * have been overwritten, which is worth a look rather than silence.
 */
function raceAdvice(where: Where, readVersion: number, writtenVersion: number): string[] {
  if (writtenVersion === readVersion + 1) return [];
  return [
    `the parameter changed while this ran (version ${readVersion} read, ${writtenVersion} written): ` +
      `run \`${stageCommand('check', where)}\` and compare the hashes with what you expect`,
  ];
}

/** What a missing or unusable parameter reports; add-key and revoke-key change only a valid list. */
function notUsable(state: Exclude<ParameterState, { kind: 'valid' }>, where: Where): KeyStepResult {
  if (state.kind === 'unusable') return { checks: [state.check], advice: state.advice };
  return {
    checks: [row(where, 'missing', 'does not exist')],
    advice: [`create it with a first key: ${stageCommand('init', where)}`],
  };
}

/**
 * `check`, and `init` with `create`: a missing parameter is created with a new key's hash; a present
 * one is only validated.
 *
 * @example
 * const { checks, newKey } = await apiKeyParameterStep(ssm, where, { create: true });
 */
export async function apiKeyParameterStep(
  ssm: SSMClient,
  where: Where,
  options: { create: boolean },
): Promise<KeyStepResult> {
  const state = await readParameter(ssm, where);
  if (state.kind === 'valid') {
    const tooMany = new Set(state.hashes).size > MAX_HASHES;
    const detail = describeHashes(state.hashes) + (tooMany ? `: more than ${MAX_HASHES} ${TOO_MANY}` : '');
    return { checks: [row(where, tooMany ? 'invalid' : 'ok', detail)], advice: [] };
  }
  if (state.kind === 'unusable' || !options.create) return notUsable(state, where);
  const { key, hash } = generateApiKey();
  try {
    await writeParameter(ssm, where, hash, { create: true });
  } catch (error) {
    // Someone else's init got there first: theirs stands, and this one only checks it.
    if (isServiceError(error) && error.name === 'ParameterAlreadyExists')
      return apiKeyParameterStep(ssm, where, { create: false });
    throw error;
  }
  return {
    checks: [row(where, 'created', `${describeHashes([hash])} (its key is printed above, once)`)],
    advice: [],
    newKey: key,
  };
}

/**
 * `add-key`: a new key whose hash joins the others.
 *
 * @throws CliError (REFUSED) when the list is full.
 */
export async function addKeyStep(ssm: SSMClient, where: Where): Promise<KeyStepResult> {
  const state = await readParameter(ssm, where);
  if (state.kind !== 'valid') return notUsable(state, where);
  const unique = [...new Set(state.hashes)];
  if (unique.length >= MAX_HASHES)
    throw new CliError(
      'REFUSED',
      `${where.names.apiKeyParameter} already holds ${unique.length} hashes, and ${TOO_MANY}: revoke one first`,
    );
  const { key, hash } = generateApiKey();
  const hashes = [...unique, hash];
  const version = await writeParameter(ssm, where, hashes.join(','), { create: false, type: state.type });
  return {
    checks: [row(where, 'created', `added ${shortHash(hash)}; now ${describeHashes(hashes)}`)],
    advice: [forceReminder(where), ...raceAdvice(where, state.version, version)],
    newKey: key,
  };
}

/**
 * `revoke-key --hash <prefix>`: removes every hash starting with the prefix.
 *
 * @throws CliError (REFUSED) when no hash matches, or when none would be left (the functions refuse to
 *   start without one).
 */
export async function revokeKeyStep(ssm: SSMClient, where: Where, prefix: string): Promise<KeyStepResult> {
  const state = await readParameter(ssm, where);
  if (state.kind !== 'valid') return notUsable(state, where);
  const removed = state.hashes.filter((hash) => hash.startsWith(prefix));
  const kept = state.hashes.filter((hash) => !hash.startsWith(prefix));
  if (removed.length === 0)
    throw new CliError('REFUSED', `no hash starts with ${prefix}; the parameter has ${describeHashes(state.hashes)}`);
  if (kept.length === 0)
    throw new CliError(
      'REFUSED',
      `refusing to revoke the last key: a stage without a key hash fails closed (ingest and status do not start); ` +
        `add another first (${stageCommand('add-key', where)})`,
    );
  const version = await writeParameter(ssm, where, kept.join(','), { create: false, type: state.type });
  const gone = [...new Set(removed)].map(shortHash).join(', ');
  return {
    checks: [row(where, 'ok', `removed ${gone}; ${describeHashes(kept)} left`)],
    advice: [forceReminder(where), ...raceAdvice(where, state.version, version)],
  };
}
