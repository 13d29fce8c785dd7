/**
 * The one place AWS clients are built. Handlers create them once per container (outside the
 * handler) and pass them into `lib/` functions, so tests can hand in clients aimed at kinesalite
 * and fauxqs.
 */
import http from 'node:http';
import https from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsConfig } from '../config';

/**
 * HTTP/1.1 with keep-alive. The Kinesis client would otherwise pick an HTTP/2 handler, which
 * kinesalite answers with "Protocol error"; we use no HTTP/2-only API (SubscribeToShard), so
 * HTTP/1.1 costs nothing in AWS either.
 */
function requestHandler(): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 50 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 50 }),
    connectionTimeout: 3_000,
  });
}

/**
 * Called with every Kinesis client built here. Only for fault-injection tests that run the real
 * handlers (which build their own clients): kinesalite never throttles or fails part of a call, so
 * such a test adds an SDK middleware that does. Empty in production.
 */
export const kinesisClientHooks: ((client: KinesisClient) => void)[] = [];

/**
 * @example
 * const kinesis = createKinesisClient(readAwsConfig(process.env));
 */
export function createKinesisClient(aws: AwsConfig, region: string = aws.region): KinesisClient {
  const client = new KinesisClient({
    region,
    ...(aws.kinesisEndpoint ? { endpoint: aws.kinesisEndpoint } : {}),
    requestHandler: requestHandler(),
  });
  for (const hook of kinesisClientHooks) hook(client);
  return client;
}

/**
 * fauxqs answers with queue URLs on a host that does not resolve, so the endpoint must be set
 * explicitly rather than taken from the queue URL.
 */
export function createSqsClient(aws: AwsConfig): SQSClient {
  return new SQSClient({
    region: aws.region,
    ...(aws.sqsEndpoint ? { endpoint: aws.sqsEndpoint } : {}),
    requestHandler: requestHandler(),
  });
}

/**
 * For database credentials on deployed stages (DATABASE_SECRET_ARN); fetched once per cold start.
 *
 * @example
 * const secrets = createSecretsManagerClient(readAwsConfig(process.env));
 */
export function createSecretsManagerClient(aws: AwsConfig): SecretsManagerClient {
  return new SecretsManagerClient({ region: aws.region, requestHandler: requestHandler() });
}
