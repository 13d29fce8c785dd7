/**
 * `serverless package --stage dev` once, offline, into a temporary directory (local/src/offlineService.ts).
 */
import { readdir } from 'node:fs/promises';
import { offlineService } from '../../local/src/offlineService';

export interface PackagedService {
  /** The temporary service directory; `remove()` deletes it (links only, never what they point to). */
  dir: string;
  packageDir: string;
  /** Function names with a zip, sorted. */
  functions: string[];
  packageMs: number;
  remove(): Promise<void>;
}

/**
 * @example
 * const service = await packageService('/work/main');
 * try { ... service.packageDir ... } finally { await service.remove(); }
 */
export async function packageService(root: string): Promise<PackagedService> {
  const service = await offlineService(root, 'telemetry-bench-');
  try {
    const started = performance.now();
    const packageDir = await service.package('dev', 'package');
    const packageMs = performance.now() - started;
    const functions = (await readdir(packageDir))
      .filter((file) => file.endsWith('.zip'))
      .map((file) => file.slice(0, -'.zip'.length))
      .sort();
    return { dir: service.dir, packageDir, functions, packageMs, remove: service.remove };
  } catch (error) {
    await service.remove();
    throw error;
  }
}
