/**
 * Reads the key store: every parameter right under the stage's key path (lib/auth/keyRecord.ts), in
 * pages of 10 (GetParametersByPath's most), decrypted. A record that does not parse is left out and
 * logged by its parameter name, never its value: one bad record must not lock every client out.
 */
import { paginateGetParametersByPath, type SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type KeyRecord, parseKeyRecord } from './keyRecord';

/**
 * @param path the key path, ending in `/` (`keyStorePath`).
 * @throws the SDK's error when a page cannot be read: the caller keeps what it had (lib/auth/keyStore.ts).
 * @example
 * const records = await loadKeyRecords(ssm, '/telemetry-pipeline/dev/api-keys/', logger);
 */
export async function loadKeyRecords(ssm: SSMClient, path: string, logger: Pick<Logger, 'warn'>): Promise<KeyRecord[]> {
  const records: KeyRecord[] = [];
  const pages = paginateGetParametersByPath(
    { client: ssm, pageSize: 10 },
    { Path: path, Recursive: false, WithDecryption: true },
  );
  for await (const page of pages) {
    for (const parameter of page.Parameters ?? []) {
      const parsed = parseKeyRecord(parameter.Name ?? '', parameter.Value);
      if (parsed.ok) records.push(parsed.record);
      else logger.warn('API key record skipped', { parameter: parameter.Name, problem: parsed.problem });
    }
  }
  return records;
}
