import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import {
  createQueue,
  createStream,
  freshDatabase,
  readAllRecords,
  receiveAll,
  testKinesis,
  testSqs,
} from '../../../__tests__/helpers/local';

// The harness itself: each local service answers over its real protocol.
describe('local services', () => {
  it('kinesalite takes and returns a record', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis);
    await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from('hello') }));
    const records = await readAllRecords(kinesis, stream);
    expect(records.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(['hello']);
  });

  it('fauxqs takes and returns a message', async () => {
    const sqs = testSqs();
    const queueUrl = await createQueue(sqs);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hi' }));
    const messages = await receiveAll(sqs, queueUrl);
    expect(messages.map((m) => m.Body)).toEqual(['hi']);
  });

  it('postgres gives a fresh database', async () => {
    const db = await freshDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT 1 + 1 AS n');
    await client.end();
    await db.drop();
    expect(rows[0]?.n).toBe(2);
  });
});
