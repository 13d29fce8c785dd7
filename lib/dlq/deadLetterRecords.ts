/**
 * Sends records that can never succeed as they are (the consumer's poison, the relay's refusals) to
 * the DLQ as record messages, one group per (reason, stream, shard) so each
 * message has one reason, packed to the queue's size limit and sent 10 at a time.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ShardRecord } from '../kinesis/shardRecord';
import { packRecordMessages } from './packRecords';
import { dlqRecordFrom, type DlqRecord, type PoisonReason, type RecordMessageHeader } from './recordMessage';
import { sendToDlq } from './send';

/** A record that can never be processed as it is; it goes to the DLQ with its data. */
export interface PoisonRecord {
  record: ShardRecord;
  reason: PoisonReason;
  error: string;
}

export interface DeadLetterTarget {
  sqs: SQSClient;
  dlqUrl: string;
  maxMessageBytes: number;
  /** Named in each message as the function that dead-lettered the records. */
  functionName: string;
}

/**
 * Throws `DeadLetterError` when any message could not be sent: the caller must fail the batch.
 *
 * @returns the number of messages sent.
 * @example
 * await deadLetterRecords(poison, { sqs, dlqUrl, maxMessageBytes: 262_144, functionName: 'consumer' });
 */
export async function deadLetterRecords(poison: readonly PoisonRecord[], target: DeadLetterTarget): Promise<number> {
  if (poison.length === 0) return 0;
  const groups = new Map<string, { header: RecordMessageHeader; records: DlqRecord[] }>();
  for (const { record, reason, error } of poison) {
    const { shardId, streamArn } = record;
    const key = JSON.stringify([reason, streamArn, shardId]);
    let group = groups.get(key);
    if (!group) {
      // The first record's error stands for the message; each record also carries its own.
      group = { header: { reason, error, function: target.functionName, streamArn, shardId }, records: [] };
      groups.set(key, group);
    }
    group.records.push(dlqRecordFrom(record, error));
  }
  const bodies = [...groups.values()].flatMap((group) =>
    packRecordMessages(group.header, group.records, target.maxMessageBytes),
  );
  await sendToDlq(target.sqs, target.dlqUrl, bodies, { maxBytes: target.maxMessageBytes });
  return bodies.length;
}
