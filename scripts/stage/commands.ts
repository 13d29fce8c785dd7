/** The commands the CLI tells the operator to run next, spelled out for the stage, region and profile at hand. */
import type { StageNames } from './names';

export interface Where {
  names: StageNames;
  region: string;
  profile: string | undefined;
}

/**
 * @example
 * stageCommand('init', where); // 'npm run stage -- init --stage dev --region eu-west-1'
 */
export function stageCommand(command: string, where: Where): string {
  const profile = where.profile ? ` --profile ${where.profile}` : '';
  return `npm run stage -- ${command} --stage ${where.names.stage} --region ${where.region}${profile}`;
}

/**
 * @example
 * keysCommand('list', where); // 'npm run keys -- list --stage dev --region eu-west-1'
 */
export function keysCommand(command: string, where: Where): string {
  const profile = where.profile ? ` --profile ${where.profile}` : '';
  return `npm run keys -- ${command} --stage ${where.names.stage} --region ${where.region}${profile}`;
}

/**
 * serverless.yml's provider.region falls back to AWS_REGION and then us-east-1, never to a profile's region, so the
 * region is always spelled out. Keys need no deploy (the functions reload them), so no `--force` either.
 */
export function deployCommand(where: Where, options: { params?: string[] } = {}): string {
  const profile = where.profile ? ` --aws-profile ${where.profile}` : '';
  const params = (options.params ?? []).map((param) => ` --param="${param}"`).join('');
  return `serverless deploy --stage ${where.names.stage} --region ${where.region}${profile}${params}`;
}

/** For `aws ...` commands. */
export function awsFlags(where: Where): string {
  return `--region ${where.region}${where.profile ? ` --profile ${where.profile}` : ''}`;
}
