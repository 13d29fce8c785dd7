/** Unpacks a function zip as Lambda does into /var/task, with the zip reader of scripts/bundle-sizes.ts. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readZipEntries } from '../../scripts/bundle-sizes';

export interface UnzippedBundle {
  dir: string;
  zipBytes: number;
  files: string[];
  unzippedBytes: number;
}

/**
 * @example
 * const bundle = await unzipBundle('/tmp/x/package/ingest.zip', '/tmp/x/task/ingest');
 */
export async function unzipBundle(zipFile: string, dir: string): Promise<UnzippedBundle> {
  const zip = await readFile(zipFile);
  const files: string[] = [];
  let unzippedBytes = 0;
  for (const entry of readZipEntries(zip)) {
    if (entry.name.endsWith('/')) continue;
    const target = path.resolve(dir, entry.name);
    // A zip entry may not write outside its folder ("zip slip").
    if (!target.startsWith(`${path.resolve(dir)}${path.sep}`))
      throw new Error(`zip entry ${entry.name} points outside the bundle`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, entry.data());
    files.push(entry.name);
    unzippedBytes += entry.size;
  }
  return { dir, zipBytes: zip.length, files, unzippedBytes };
}
