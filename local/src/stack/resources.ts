/**
 * Creates the stack's streams, queues and buckets (`resources:` in serverless.yml, as resolved for
 * the local stage) in kinesalite and fauxqs under their real names, and describes each for the
 * intrinsic resolver, so functions see the same names and ARNs shape as in AWS. A bucket's queue
 * notifications are returned for the local stack to deliver (fauxqs does not).
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from '../../../lib/retry/policy';
import { localBucketName } from '../serverlessConfig';
import type { LocalResource } from './intrinsics';
import type { NotificationRoute } from './s3Notifications';

export interface TemplateResource {
  Type?: unknown;
  Properties?: Record<string, unknown>;
}

export interface CreatedResources {
  resources: Record<string, LocalResource>;
  streams: { logicalId: string; name: string; arn: string; shards: number }[];
  queues: { logicalId: string; name: string; url: string; arn: string }[];
  buckets: { logicalId: string; name: string; arn: string }[];
  /** Where each bucket's `s3:ObjectCreated:*` queue notifications go. */
  notifications: NotificationRoute[];
}

interface QueueConfiguration {
  Event?: unknown;
  Queue?: unknown;
  Filter?: { S3Key?: { Rules?: { Name?: unknown; Value?: unknown }[] } };
}

/** The queue an `Fn::GetAtt [Queue, Arn]` (or a queue ARN) names, among the queues created. */
function queueUrlOf(queue: unknown, queues: CreatedResources['queues']): string | undefined {
  const getAtt =
    typeof queue === 'object' && queue !== null ? (queue as Record<string, unknown>)['Fn::GetAtt'] : undefined;
  const id = Array.isArray(getAtt) ? getAtt[0] : undefined;
  return queues.find((q) => q.logicalId === id || q.arn === queue)?.url;
}

function notificationRoutes(
  bucket: string,
  configurations: unknown,
  queues: CreatedResources['queues'],
): NotificationRoute[] {
  if (!Array.isArray(configurations)) return [];
  return (configurations as QueueConfiguration[]).map((configuration) => {
    if (configuration.Event !== 's3:ObjectCreated:*')
      throw new Error(`bucket ${bucket}: only s3:ObjectCreated:* notifications are emulated locally`);
    const queueUrl = queueUrlOf(configuration.Queue, queues);
    if (!queueUrl)
      throw new Error(
        `bucket ${bucket}: notification queue ${JSON.stringify(configuration.Queue)} is not a queue of the stack`,
      );
    const rules = configuration.Filter?.S3Key?.Rules ?? [];
    const prefix = rules.find((rule) => rule.Name === 'prefix')?.Value;
    return { bucket, prefix: typeof prefix === 'string' ? prefix : '', queueUrl };
  });
}

async function createStream(kinesis: KinesisClient, name: string, shards: number): Promise<void> {
  // A stack started again over the same services uses the stream that is there.
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards })).catch((error: unknown) => {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  });
  // kinesalite makes streams ACTIVE at once (createStreamMs 0); bounded wait all the same.
  for (let i = 0; i < 100; i += 1) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/**
 * @example
 * const created = await createResources(config.resources.Resources, { kinesis, sqs, region: 'us-east-1', accountId: '000000000000' });
 */
export async function createResources(
  template: Record<string, TemplateResource>,
  deps: { kinesis: KinesisClient; sqs: SQSClient; s3: S3Client; region: string; accountId: string },
): Promise<CreatedResources> {
  const { region, accountId } = deps;
  const out: CreatedResources = { resources: {}, streams: [], queues: [], buckets: [], notifications: [] };
  const bucketNotifications: [string, unknown][] = [];
  for (const [logicalId, resource] of Object.entries(template)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::Kinesis::Stream') {
      const name = String(properties.Name ?? logicalId);
      const shards = Number(properties.ShardCount ?? 1);
      await createStream(deps.kinesis, name, shards);
      const arn = `arn:aws:kinesis:${region}:${accountId}:stream/${name}`;
      out.resources[logicalId] = { ref: name, attributes: { Arn: arn } };
      out.streams.push({ logicalId, name, arn, shards });
    } else if (resource.Type === 'AWS::SQS::Queue') {
      const name = String(properties.QueueName ?? logicalId);
      const { QueueUrl } = await deps.sqs.send(new CreateQueueCommand({ QueueName: name }));
      if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
      const arn = `arn:aws:sqs:${region}:${accountId}:${name}`;
      out.resources[logicalId] = { ref: QueueUrl, attributes: { Arn: arn, QueueName: name, QueueUrl } };
      out.queues.push({ logicalId, name, url: QueueUrl, arn });
    } else if (resource.Type === 'AWS::S3::Bucket') {
      const name = localBucketName(properties.BucketName, region, accountId);
      // A stack started again over the same services finds its bucket (and the failed batches in it) there.
      await deps.s3.send(new CreateBucketCommand({ Bucket: name })).catch((error: unknown) => {
        const code = (error as { name?: string }).name;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
      });
      const arn = `arn:aws:s3:::${name}`;
      out.resources[logicalId] = { ref: name, attributes: { Arn: arn } };
      out.buckets.push({ logicalId, name, arn });
      const notification = properties.NotificationConfiguration as { QueueConfigurations?: unknown } | undefined;
      bucketNotifications.push([name, notification?.QueueConfigurations]);
    } else if (resource.Type === 'AWS::SNS::Topic') {
      const arn = `arn:aws:sns:${region}:${accountId}:${String(properties.TopicName ?? logicalId)}`;
      out.resources[logicalId] = { ref: arn, attributes: { TopicName: String(properties.TopicName ?? logicalId) } };
    }
    // Alarms, dashboards, policies and the like have no local counterpart; nothing a function reads refers to them.
  }
  // After every queue exists, whatever the order of the template. S3's s3:TestEvent is not sent:
  // locally it would only put a message nobody needs in the DLQ of every new stack.
  for (const [bucket, configurations] of bucketNotifications)
    out.notifications.push(...notificationRoutes(bucket, configurations, out.queues));
  return out;
}
