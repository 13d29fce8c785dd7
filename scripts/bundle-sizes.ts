/**
 * Sizes and contents of the packaged function zips. `serverless package` writes one zip per
 * function to `.serverless/` (or to `--package <dir>`); after it, `npx tsx scripts/bundle-sizes.ts [dir]`
 * prints the table. The template test uses the same functions on its own package run.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** The budget for one function, zipped, with the AWS SDK left to the runtime (docs/architecture.md). */
export const ZIP_TARGET_BYTES = 60 * 1024;

export interface ZipEntry {
  name: string;
  /** Uncompressed bytes. */
  size: number;
  compressedSize: number;
  /** The entry's uncompressed content. */
  data(): Buffer;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/**
 * Lists a zip's entries from its central directory (the local headers may defer their sizes to a
 * data descriptor, the central directory never does). Stored and deflated entries only, no ZIP64:
 * all a function bundle uses.
 *
 * @example
 * const entries = readZipEntries(await readFile('.serverless/ingest.zip'));
 * entries.map((entry) => entry.name); // ['handlers/ingest.js', 'handlers/ingest.js.map']
 */
export function readZipEntries(zip: Buffer): ZipEntry[] {
  const end = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY)
      throw new Error(`bad central directory entry at ${offset}`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.push({ name, size, compressedSize, data: () => entryData(zip, localHeader, method, compressedSize, name) });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let offset = zip.length - 22; offset >= lowest; offset -= 1) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  throw new Error('not a zip file: no end of central directory record');
}

function entryData(zip: Buffer, localHeader: number, method: number, compressedSize: number, name: string): Buffer {
  if (zip.readUInt32LE(localHeader) !== LOCAL_FILE_HEADER) throw new Error(`bad local header for ${name}`);
  const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
  const raw = zip.subarray(start, start + compressedSize);
  if (method === STORED) return Buffer.from(raw);
  if (method === DEFLATED) return inflateRawSync(raw);
  throw new Error(`${name}: unsupported compression method ${method}`);
}

export interface BundleSize {
  name: string;
  bytes: number;
}

/**
 * The zipped size of each named function in a package directory.
 *
 * @example
 * const sizes = await bundleSizes('.serverless', ['ingest', 'consumer']);
 */
export async function bundleSizes(dir: string, names: readonly string[]): Promise<BundleSize[]> {
  return Promise.all(
    names.map(async (name) => ({ name, bytes: (await readFile(path.join(dir, `${name}.zip`))).length })),
  );
}

/**
 * A plain-text table of sizes against the budget.
 *
 * @example
 * console.log(formatSizeTable([{ name: 'ingest', bytes: 1_024 }]));
 */
export function formatSizeTable(sizes: readonly BundleSize[], target: number = ZIP_TARGET_BYTES): string {
  const width = Math.max(8, ...sizes.map((size) => size.name.length));
  const lines = sizes.map(({ name, bytes }) => {
    const kib = (bytes / 1024).toFixed(1).padStart(7);
    const verdict = bytes <= target ? 'ok' : `OVER the ${target / 1024} KiB target`;
    return `${name.padEnd(width)}  ${String(bytes).padStart(9)}  ${kib}  ${verdict}`;
  });
  return [`${'function'.padEnd(width)}  ${'bytes'.padStart(9)}  ${'KiB'.padStart(7)}`, ...lines].join('\n');
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '.serverless';
  const names = (await readdir(dir))
    .filter((file) => file.endsWith('.zip'))
    .map((file) => file.slice(0, -'.zip'.length))
    .sort();
  if (names.length === 0) throw new Error(`no function zips in ${dir}: run \`npx serverless package\` first`);
  console.log(formatSizeTable(await bundleSizes(dir, names)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
