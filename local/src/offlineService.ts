/**
 * Runs the Serverless CLI on this service offline, in a temporary directory of symlinks to the
 * checkout. The CLI clears and rebuilds `.serverless/` and `.esbuild/` in its service directory, so
 * runs in the checkout itself would collide with each other (two test files, a benchmark); and it is
 * given no AWS credentials, profile or config, so nothing it does can reach AWS.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The CLI's own output folders, git, local state, and the config (copied instead: the CLI does not take a linked one). */
const NOT_LINKED = new Set(['.serverless', '.esbuild', '.git', '.local', 'serverless.yml']);

export interface OfflineService {
  /** The temporary service directory. */
  dir: string;
  /** Runs `serverless <args>` there and returns its stdout; throws with its output on failure. */
  serverless(args: readonly string[]): Promise<string>;
  /** `serverless package --stage <stage>` into `<dir>/<into>`; returns that directory. */
  package(stage: string, into?: string): Promise<string>;
  /** Deletes the directory: the links, never what they point to. */
  remove(): Promise<void>;
}

/** No AWS credentials, profile, config or database URL from the caller's environment. */
function offlineEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('AWS_') && key !== 'DATABASE_URL') env[key] = value;
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
    AWS_CONFIG_FILE: path.join(dir, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * @example
 * const service = await offlineService(repoRoot);
 * try { const packageDir = await service.package('dev'); ... } finally { await service.remove(); }
 */
export async function offlineService(
  root: string,
  prefix = 'telemetry-service-',
  /** Added to the CLI's environment: the deploy rehearsal points it at a local AWS API (moto). */
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<OfflineService> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    for (const entry of await readdir(root)) {
      if (!NOT_LINKED.has(entry)) await symlink(path.join(root, entry), path.join(dir, entry));
    }
    await copyFile(path.join(root, 'serverless.yml'), path.join(dir, 'serverless.yml'));
  } catch (error) {
    await remove();
    throw error;
  }
  const cli = path.join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
  const serverless = async (args: readonly string[]): Promise<string> => {
    try {
      const { stdout } = await run(process.execPath, [cli, ...args], {
        cwd: dir,
        env: { ...offlineEnv(dir), ...extraEnv },
        maxBuffer: 32 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`serverless ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: error });
    }
  };
  return {
    dir,
    serverless,
    package: async (stage, into = `package-${stage}`) => {
      const packageDir = path.join(dir, into);
      await serverless(['package', '--stage', stage, '--package', packageDir]);
      return packageDir;
    },
    remove,
  };
}
