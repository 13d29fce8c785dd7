/**
 * What the write-path tests check order with: numbered records over a few partition keys, and the
 * order per key of the last copy of each record on the stream.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisRecord } from '../../lib/kinesis/putRecords';
import { readAllRecords } from './local';

export function makeRecords(count: number, keys: number, bytes = 40): KinesisRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const body = `${i}:`.padEnd(bytes, 'x');
    return { data: Buffer.from(body), partitionKey: `source-${i % keys}` };
  });
}

export const indexOf = (data: Uint8Array | undefined): number =>
  Number(
    Buffer.from(data ?? [])
      .toString()
      .split(':')[0],
  );

/**
 * Per partition key, the order of the LAST copy of each record on the stream (re-puts that keep
 * order leave an earlier duplicate behind; the consumer's eventId dedup drops it).
 */
export async function lastCopyOrderByKey(kinesis: KinesisClient, stream: string): Promise<Map<string, number[]>> {
  const onStream = await readAllRecords(kinesis, stream);
  const byKey = new Map<string, number[]>();
  for (const record of onStream) {
    const key = record.PartitionKey ?? '';
    const list = (byKey.get(key) ?? []).filter((i) => i !== indexOf(record.Data));
    list.push(indexOf(record.Data));
    byKey.set(key, list);
  }
  return byKey;
}

export function expectedOrderByKey(records: KinesisRecord[], indexes: number[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const i of indexes) {
    const key = (records[i] as KinesisRecord).partitionKey;
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  }
  return byKey;
}
