/**
 * Running the project's operator CLIs (scripts/*.ts) in a child process against moto, with only the
 * AWS settings a test gives: none of jest's (globalSetup) nor the machine's.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * @param home a private HOME holding `config` and `credentials` (AWS profiles), so nothing of the machine's is read
 * @param overrides added last; `undefined` removes a variable
 * @example
 * const env = awsCliEnv({ home, endpoint: moto.endpoint, region: 'eu-west-1' }, { AWS_REGION: undefined });
 */
export function awsCliEnv(
  { home, endpoint, region }: { home: string; endpoint: string; region: string },
  overrides: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) env[name] = value;
  Object.assign(env, {
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: region,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/**
 * Runs `tsx <script> <args>` from the repository root (30 s at most); resolves with its exit code and output.
 *
 * @example
 * const { code, stdout } = await runCli('scripts/stage.ts', ['check', '--stage', 'dev'], env);
 */
export function runCli(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(TSX, [script, ...args], { cwd: ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
