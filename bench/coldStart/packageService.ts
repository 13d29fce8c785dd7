/**
 * `serverless package --stage dev` once, offline, into a temporary directory. The CLI runs in a
 * directory of symlinks to the checkout (as __tests__/template.test.ts does): it clears and rebuilds
 * `.serverless/` and `.esbuild/` in the service directory, which would collide with anyone else's
 * package run in the checkout itself.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The CLI's own output folders, git, and the config (copied instead: the CLI does not take a linked one). */
const NOT_LINKED = new Set(['.serverless', '.esbuild', '.git', '.local', 'serverless.yml']);

export interface PackagedService {
  /** The temporary service directory; `remove()` deletes it (links only, never what they point to). */
  dir: string;
  packageDir: string;
  /** Function names with a zip, sorted. */
  functions: string[];
  packageMs: number;
  remove(): Promise<void>;
}

/** No AWS credentials, profile, config or endpoint: nothing can call AWS. */
function offlineEnv(serviceDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: path.join(serviceDir, 'no-credentials'),
    AWS_CONFIG_FILE: path.join(serviceDir, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * @example
 * const service = await packageService('/work/main');
 * try { ... service.packageDir ... } finally { await service.remove(); }
 */
export async function packageService(root: string): Promise<PackagedService> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'telemetry-bench-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    for (const entry of await readdir(root)) {
      if (!NOT_LINKED.has(entry)) await symlink(path.join(root, entry), path.join(dir, entry));
    }
    await copyFile(path.join(root, 'serverless.yml'), path.join(dir, 'serverless.yml'));
    const packageDir = path.join(dir, 'package');
    const cli = path.join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
    const started = performance.now();
    try {
      await run(process.execPath, [cli, 'package', '--stage', 'dev', '--package', packageDir], { cwd: dir, env: offlineEnv(dir), maxBuffer: 32 * 1024 * 1024 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`serverless package failed:\n${stdout}${stderr}`, { cause: error });
    }
    const packageMs = performance.now() - started;
    const functions = (await readdir(packageDir))
      .filter((file) => file.endsWith('.zip'))
      .map((file) => file.slice(0, -'.zip'.length))
      .sort();
    return { dir, packageDir, functions, packageMs, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
