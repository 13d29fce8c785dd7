/**
 * Which account and region a CLI talks to, resolved the way the AWS SDK resolves them, so that a CLI
 * run and `aws ...` with the same profile land in the same place. Shared by the stage, keys and replay CLIs.
 */
import type { Env } from '../../lib/config';
import { errorMessage } from '../../lib/errors';
import { CliError } from './errors';

export const NO_REGION = 'no AWS region: pass --region, set AWS_REGION or give the profile a region';

/** What every SDK client of a CLI run is built with; `region` absent lets the SDK's default chain decide. */
export interface AwsClientConfig {
  region?: string;
  profile?: string;
}

/** The part of a built SDK client this module reads (any client: they resolve config the same way). */
export interface ResolvingClient {
  config: {
    region: () => Promise<string>;
    credentials: () => Promise<{ accountId?: string }>;
  };
}

/**
 * The flags as client config. Without --region the SDK reads AWS_REGION, then the profile's region;
 * AWS_DEFAULT_REGION (which the JS SDK ignores) comes before the profile's region, as in the AWS CLI,
 * because the replay honoured it before it had --region.
 *
 * @example
 * new SSMClient(awsClientConfig({ region: undefined, profile: 'ops' }, process.env)); // { profile: 'ops' }
 */
export function awsClientConfig(
  flags: { region?: string | undefined; profile?: string | undefined },
  env: Env,
): AwsClientConfig {
  const config: AwsClientConfig = {};
  const fallback = env.AWS_REGION?.trim() ? undefined : env.AWS_DEFAULT_REGION?.trim() || undefined;
  const region = flags.region ?? fallback;
  if (region) config.region = region;
  if (flags.profile) config.profile = flags.profile;
  return config;
}

/**
 * The region a client resolved.
 *
 * @throws CliError (NO_REGION) when neither a flag, the environment nor the profile gives one.
 * @example
 * const region = await resolvedRegion(new CloudFormationClient(awsClientConfig(flags, process.env)));
 */
export async function resolvedRegion(client: ResolvingClient): Promise<string> {
  let region: string | undefined;
  try {
    region = await client.config.region();
  } catch (error) {
    throw new CliError('NO_REGION', NO_REGION, { cause: error });
  }
  if (!region) throw new CliError('NO_REGION', NO_REGION);
  return region;
}

/**
 * The account the credentials belong to, when the credentials say so (SSO and assumed-role
 * credentials do, as do AWS_ACCOUNT_ID and a profile's aws_account_id), so no STS call is needed;
 * undefined otherwise.
 *
 * @throws CliError (AWS) when no credentials can be loaded at all.
 */
export async function credentialsAccount(client: ResolvingClient): Promise<string | undefined> {
  try {
    return (await client.config.credentials()).accountId;
  } catch (error) {
    throw new CliError('AWS', `no AWS credentials: ${errorMessage(error)}`, { cause: error });
  }
}
