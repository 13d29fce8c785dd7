/**
 * `.local/stack.json`, written by `npm start`: where the local stack's API, stream and queue are, so
 * tools (`npm run send`, `npm run replay -- --local`) find them without flags.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The fields the load client uses; the file holds more (see local/src/stack `LocalStackInfo`). */
export interface StackFile {
  apiUrl: string;
  apiKey: string;
  region: string;
  kinesisEndpoint: string;
  streamName: string;
}

export const DEFAULT_STACK_FILE = path.join('.local', 'stack.json');

/**
 * @example
 * const stack = await readStackFile(); // throws, saying to run `npm start`, when there is none
 */
export async function readStackFile(file: string = DEFAULT_STACK_FILE): Promise<StackFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: is \`npm start\` running? (or pass --url and --key)`, { cause: error });
  }
  const value = JSON.parse(text) as Partial<Record<keyof StackFile, unknown>>;
  const fields: (keyof StackFile)[] = ['apiUrl', 'apiKey', 'region', 'kinesisEndpoint', 'streamName'];
  for (const field of fields) {
    if (typeof value[field] !== 'string') throw new Error(`${file}: ${field} is missing or not a string`);
  }
  return value as StackFile;
}
