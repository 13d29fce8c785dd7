/**
 * Ingest's baseline: the same parsing and per-item validation as the handler (the library functions
 * it calls), then one PutRecord per event. Everything but the write path is shared, so the ratio is
 * the write path's; the handler does strictly more (auth, headers, the 202 body) and is not helped.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { parseItems } from '../../lib/ingest/parseItems';
import { prepareEvents } from '../../lib/ingest/prepareEvents';
import { putRecordEach } from './putRecordEach';

/**
 * @example
 * const accepted = await ingestPerEvent(kinesis, 'bench-ingest', body);
 */
export async function ingestPerEvent(kinesis: KinesisClient, streamName: string, body: string): Promise<number> {
  const parsed = parseItems(Buffer.from(body, 'utf8'), 'json', 10_000);
  if (!parsed.ok) throw new Error(`baseline body refused: ${parsed.failure.message}`);
  const { prepared } = prepareEvents(parsed.items, {
    tenant: 'bench',
    idempotencyKey: undefined,
    receivedAt: new Date().toISOString(),
  });
  return putRecordEach(
    kinesis,
    streamName,
    prepared.map((item) => item.record),
  );
}
