/**
 * Packs dead-letter records into as few record-message bodies as fit the queue's size limit, in
 * record order. Exact: sizes are the UTF-8 bytes of the JSON actually sent, not estimates.
 */
import { DeadLetterError } from '../errors';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  RECORD_MESSAGE_VERSION,
  type DlqRecord,
  type DlqRecordOmitted,
  type RecordMessage,
  type RecordMessageHeader,
} from './recordMessage';

/** Error texts are for people; long ones (a JSON.parse message quoting the input) are cut. Data never is. */
export const MAX_ERROR_CHARS = 500;

// SQS refuses U+FFFE and U+FFFF in a body; JSON.stringify leaves them raw (it escapes only controls
// and lone surrogates). They can only occur inside JSON strings, where an escape means the same.
const SQS_INVALID = /[\uFFFE\uFFFF]/g;

function sqsSafe(json: string): string {
  return json.replace(SQS_INVALID, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
}

function clip(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}...` : text;
}

function withClippedError<T extends DlqRecord>(record: T): T {
  return record.error === undefined ? record : { ...record, error: clip(record.error) };
}

function omitted(record: DlqRecord): DlqRecordOmitted {
  return {
    sequenceNumber: record.sequenceNumber,
    partitionKey: record.partitionKey,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp,
    omittedDataBytes: record.data === undefined ? record.omittedDataBytes : Buffer.byteLength(record.data),
  };
}

/**
 * Splits `records` into message bodies of at most `maxBytes` each. A record that cannot fit even alone
 * is sent as a `DlqRecordOmitted` marker (see `recordMessage.ts`); if even the marker does not fit
 * (a limit far below SQS' 1 KiB minimum) this throws `DeadLetterError`, failing the batch loudly.
 *
 * @example
 * const bodies = packRecordMessages({ reason: 'invalid-json', error, function: 'consumer', streamArn, shardId }, records, 262_144);
 */
export function packRecordMessages(
  header: RecordMessageHeader,
  records: readonly DlqRecord[],
  maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
): string[] {
  const envelope: RecordMessage = {
    version: RECORD_MESSAGE_VERSION,
    kind: 'records',
    reason: header.reason,
    error: clip(header.error),
    function: header.function,
    streamArn: header.streamArn,
    shardId: header.shardId,
    records: [],
  };
  // `records` is the last key, so the empty envelope ends in `[]}`: everything before is the prefix.
  const empty = sqsSafe(JSON.stringify(envelope));
  const prefix = empty.slice(0, -2);
  const overhead = Buffer.byteLength(prefix) + 2;

  const bodies: string[] = [];
  let entries: string[] = [];
  let size = overhead;
  const flush = (): void => {
    if (entries.length > 0) bodies.push(`${prefix}${entries.join(',')}]}`);
    entries = [];
    size = overhead;
  };
  for (const record of records) {
    let entry = sqsSafe(JSON.stringify(withClippedError(record)));
    let bytes = Buffer.byteLength(entry);
    if (overhead + bytes > maxBytes) {
      entry = sqsSafe(JSON.stringify(omitted(record)));
      bytes = Buffer.byteLength(entry);
      if (overhead + bytes > maxBytes)
        throw new DeadLetterError(
          `a dead-letter message cannot fit in ${maxBytes} bytes even without record data (record ${record.sequenceNumber})`,
        );
    }
    const separator = entries.length > 0 ? 1 : 0;
    if (size + separator + bytes > maxBytes) flush();
    size += (entries.length > 0 ? 1 : 0) + bytes;
    entries.push(entry);
  }
  flush();
  return bodies;
}
