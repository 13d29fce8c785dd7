import path from 'node:path';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../lib/aws/s3Client';
import { startLocalStack, type LocalStack } from '../../src/stack';
import { startServicesChild, type ServicesChild } from '../../src/servicesChild';

describe('local stack (npm start) in-process', () => {
  let services: ServicesChild;
  let stack: LocalStack;
  beforeAll(async () => {
    services = await startServicesChild();
    stack = await startLocalStack({
      port: 0,
      root: path.resolve(__dirname, '..', '..', '..'),
      services,
      esmTiming: { pollIntervalMs: 200, shardDiscoveryIntervalMs: 500 },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await services?.stop();
  });

  it('takes a POST through ingest, the stream and the consumer to Postgres, relays it, and status finds it', async () => {
    const response = await fetch(`${stack.apiUrl}/telemetry`, {
      method: 'POST',
      headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify([
        { source: 'a', timestamp: Date.now() },
        { source: 'b', timestamp: Date.now(), durationMs: 3 },
      ]),
    });
    expect(response.status).toBe(202);
    const { eventIds } = (await response.json()) as { eventIds: string[] };
    expect(eventIds).toHaveLength(2);
    await stack.drained(20_000);
    const status = await fetch(`${stack.apiUrl}${response.headers.get('location')}`, {
      headers: { 'x-api-key': stack.apiKey },
    });
    expect(status.status).toBe(200);
    expect(await stack.status()).toMatchObject({ eventsAccepted: 2, written: 2, relayed: 2, dlqDepth: 0 });
  });

  // Where the mappings send failed batches (the failures bucket, as serverless.yml's default stage has
  // it) is checked end to end in __tests__/integration/e2e-outage.test.ts.
  it('creates the failures bucket of serverless.yml in the local S3', async () => {
    expect(stack.failuresBucket).toBe('telemetry-pipeline-local-failures-000000000000-us-east-1');
    const s3 = createS3Client({
      region: stack.region,
      kinesisEndpoint: undefined,
      sqsEndpoint: undefined,
      s3Endpoint: stack.s3Endpoint,
      streamAddressing: 'name',
    });
    await expect(s3.send(new HeadBucketCommand({ Bucket: stack.failuresBucket }))).resolves.toBeDefined();
    s3.destroy();
  });
});
