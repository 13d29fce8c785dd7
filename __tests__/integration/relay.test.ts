import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { putRecords } from '../../lib/kinesis/putRecords';
import { fromLambdaRecord, type ShardRecord } from '../../lib/kinesis/shardRecord';
import { relayBatch, type RejectedRecord, type RelayTarget } from '../../lib/relay/relayBatch';
import { injectPartialFailures } from '../helpers/kinesisFaults';
import { streamArnOf, toKinesisEvent } from '../helpers/kinesisEvent';
import type * as RelayModule from '../../handlers/relay';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import { createLambdaContext } from '../../emulator/src';
import { createQueue, createStream, readAllRecords, receiveAll, testKinesis, testSqs } from '../helpers/local';

/** Puts `count` records with `keys` partition keys on a fresh source stream and returns them as Lambda would deliver them. */
async function sourceBatch(kinesis: KinesisClient, count: number, keys: number): Promise<KinesisStreamRecord[]> {
  const source = await createStream(kinesis, 2);
  const records = Array.from({ length: count }, (_, i) => ({
    data: Buffer.from(JSON.stringify({ i, k: i % keys })),
    partitionKey: `source-${i % keys}`,
  }));
  const result = await putRecords(kinesis, records, { stream: { streamName: source }, deadline: Date.now() + 20_000 });
  expect(result.failed).toEqual([]);
  return toKinesisEvent(await readAllRecords(kinesis, source), streamArnOf(source)).Records;
}

function byKey(items: { key: string; data: string }[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const item of items) map.set(item.key, [...(map.get(item.key) ?? []), item.data]);
  return map;
}

async function onTarget(kinesis: KinesisClient, stream: string): Promise<Map<string, string[]>> {
  const records = await readAllRecords(kinesis, stream);
  return byKey(records.map((r) => ({ key: r.PartitionKey ?? '', data: Buffer.from(r.Data ?? []).toString() })));
}

const asDelivered = (records: KinesisStreamRecord[]): Map<string, string[]> =>
  byKey(records.map((r) => ({ key: r.kinesis.partitionKey, data: Buffer.from(r.kinesis.data, 'base64').toString() })));

const noDeadLetters = async (rejected: RejectedRecord[]): Promise<void> => {
  throw new Error(`unexpected dead letters: ${rejected.length}`);
};

describe('relayBatch', () => {
  it('puts 2,345 records on two targets, complete and in order per partition key', async () => {
    const kinesis = testKinesis();
    const records = await sourceBatch(kinesis, 2_345, 17);
    const [a, b] = [await createStream(kinesis, 1), await createStream(kinesis, 3)];
    const targets: RelayTarget[] = [a, b].map((name) => ({ label: name, kinesis, stream: { streamName: name } }));
    const result = await relayBatch(records.map(fromLambdaRecord), {
      targets,
      deadline: Date.now() + 20_000,
      deadLetter: noDeadLetters,
    });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.targets.map((t) => [t.put, t.calls])).toEqual([
      [2_345, 5],
      [2_345, 5],
    ]);
    const expected = asDelivered(records);
    expect(await onTarget(kinesis, a)).toEqual(expected);
    expect(await onTarget(kinesis, b)).toEqual(expected);
  });

  it('retries injected partial failures on one target and still delivers everything', async () => {
    const kinesis = testKinesis();
    const records = await sourceBatch(kinesis, 800, 5);
    const target = await createStream(kinesis, 1);
    const flaky = testKinesis();
    injectPartialFailures(flaky, { fails: (_e, call, position) => call <= 2 && position % 5 === 0 });
    const result = await relayBatch(records.map(fromLambdaRecord), {
      targets: [{ label: target, kinesis: flaky, stream: { streamName: target } }],
      deadline: Date.now() + 20_000,
      deadLetter: noDeadLetters,
    });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.targets[0]?.retriedEntries).toBeGreaterThan(0);
    // Order per key holds for the last copy of each record (order-keeping re-puts leave earlier duplicates).
    const seen = await onTarget(kinesis, target);
    const lastCopies = new Map([...seen].map(([key, list]) => [key, list.filter((d, i) => list.lastIndexOf(d) === i)]));
    expect(lastCopies).toEqual(asDelivered(records));
  });

  it('returns the records a target still refuses at the deadline as batchItemFailures', async () => {
    const kinesis = testKinesis();
    const records = await sourceBatch(kinesis, 300, 6);
    const [good, hot] = [await createStream(kinesis, 1), await createStream(kinesis, 1)];
    const throttled = testKinesis();
    injectPartialFailures(throttled, { fails: (entry) => entry.PartitionKey === 'source-2' });
    const result = await relayBatch(records.map(fromLambdaRecord), {
      targets: [
        { label: good, kinesis, stream: { streamName: good } },
        { label: hot, kinesis: throttled, stream: { streamName: hot } },
      ],
      deadline: Date.now() + 300,
      deadLetter: noDeadLetters,
    });
    const refused = records.filter((r) => r.kinesis.partitionKey === 'source-2').map((r) => r.kinesis.sequenceNumber);
    expect(result.response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(refused);
    expect(result.targets.map((t) => t.failed)).toEqual([0, refused.length]);
    expect((await readAllRecords(kinesis, good)).length).toBe(300);
  });

  it('dead-letters a record that can never be put, and keeps it for retry when the DLQ refuses', async () => {
    const kinesis = testKinesis();
    const records = await sourceBatch(kinesis, 4, 2);
    const target = await createStream(kinesis, 1);
    // A record over 1 MiB cannot be on a Kinesis stream, but a target with a smaller limit (or a
    // stream fed by another producer) can refuse one: give the relay one such record.
    const delivered = records.map(fromLambdaRecord);
    const oversized: ShardRecord = { ...(delivered[1] as ShardRecord), data: Buffer.alloc(1024 * 1024 + 1) };
    const batch = [delivered[0], oversized, delivered[2], delivered[3]] as ShardRecord[];
    const targets: RelayTarget[] = [{ label: target, kinesis, stream: { streamName: target } }];

    const dead: RejectedRecord[] = [];
    const ok = await relayBatch(batch, {
      targets,
      deadline: Date.now() + 10_000,
      deadLetter: async (r) => void dead.push(...r),
    });
    expect(ok.response.batchItemFailures).toEqual([]);
    expect(dead.map((d) => d.record.sequenceNumber)).toEqual([oversized.sequenceNumber]);
    expect(dead[0]?.error).toContain('RECORD_TOO_LARGE');
    expect(ok.targets[0]).toMatchObject({ put: 3, rejected: 1, failed: 0 });

    const refused = await relayBatch(batch, {
      targets,
      deadline: Date.now() + 10_000,
      deadLetter: async () => {
        throw new Error('queue unreachable');
      },
    });
    expect(refused.response.batchItemFailures).toEqual([{ itemIdentifier: oversized.sequenceNumber }]);
    expect(refused.deadLetterError).toBeInstanceOf(Error);
  });
});

describe('relay handler', () => {
  it('relays a batch through the exported handler and dead-letters a refused record as relay-rejected', async () => {
    const kinesis = testKinesis();
    const sqs = testSqs();
    const records = await sourceBatch(kinesis, 50, 3);
    const target = await createStream(kinesis, 1);
    const dlqUrl = await createQueue(sqs);
    Object.assign(process.env, {
      RELAY_TARGETS: streamArnOf(target),
      DLQ_URL: dlqUrl,
      AWS_ENDPOINT_URL_KINESIS: process.env.TEST_KINESIS_ENDPOINT,
      AWS_ENDPOINT_URL_SQS: process.env.TEST_SQS_ENDPOINT,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    // Required here, not imported at the top: the handler reads its configuration when it loads.
    const { handler } = require('../../handlers/relay') as typeof RelayModule;
    const oversized: KinesisStreamRecord = {
      ...(records[7] as KinesisStreamRecord),
      kinesis: {
        ...(records[7] as KinesisStreamRecord).kinesis,
        data: Buffer.alloc(1024 * 1024 + 1).toString('base64'),
      },
    };
    const batch = records.map((r, i) => (i === 7 ? oversized : r));
    const response = await handler(
      { Records: batch },
      createLambdaContext({
        functionName: 'relay',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:relay',
        memorySizeMb: 512,
        deadline: Date.now() + 30_000,
      }),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(await readAllRecords(kinesis, target)).toHaveLength(49);
    const messages = (await receiveAll(sqs, dlqUrl)).map((m) => parseDlqMessage(m.Body ?? ''));
    expect(messages).toHaveLength(1);
    const message = messages[0];
    if (message?.kind !== 'records') throw new Error('expected a record message');
    expect(message.message.reason).toBe('relay-rejected');
    expect(message.message.error).toContain('RECORD_TOO_LARGE');
    expect(message.message.records.map((r) => r.sequenceNumber)).toEqual([oversized.kinesis.sequenceNumber]);
  });
});
