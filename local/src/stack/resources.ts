/**
 * Creates the stack's streams and queues (`resources:` in serverless.yml, as resolved for the local
 * stage) in kinesalite and fauxqs under their real names, and describes each for the intrinsic
 * resolver, so functions see the same names and ARNs shape as in AWS.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from '../../../lib/retry/policy';
import type { LocalResource } from './intrinsics';

export interface TemplateResource {
  Type?: unknown;
  Properties?: Record<string, unknown>;
}

export interface CreatedResources {
  resources: Record<string, LocalResource>;
  streams: { logicalId: string; name: string; arn: string; shards: number }[];
  queues: { logicalId: string; name: string; url: string; arn: string }[];
}

async function createStream(kinesis: KinesisClient, name: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
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
  deps: { kinesis: KinesisClient; sqs: SQSClient; region: string; accountId: string },
): Promise<CreatedResources> {
  const { region, accountId } = deps;
  const out: CreatedResources = { resources: {}, streams: [], queues: [] };
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
    } else if (resource.Type === 'AWS::SNS::Topic') {
      const arn = `arn:aws:sns:${region}:${accountId}:${String(properties.TopicName ?? logicalId)}`;
      out.resources[logicalId] = { ref: arn, attributes: { TopicName: String(properties.TopicName ?? logicalId) } };
    }
    // Alarms, dashboards and the like have no local counterpart; nothing a function reads refers to them.
  }
  return out;
}
