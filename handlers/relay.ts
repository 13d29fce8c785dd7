/** Telemetry stream -> every relay target. The work is in lib/relay; this wires it up once per container. */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createKinesisClient } from '../lib/aws/kinesisClient';
import { createSqsClient } from '../lib/aws/sqsClient';
import { streamRef } from '../lib/kinesis/streamRef';
import { createObservability } from '../lib/observability/powertools';
import { readRelayConfig } from '../lib/relay/config';
import { handleRelay } from '../lib/relay/handleRelay';

const config = readRelayConfig(process.env);
const local = config.aws.kinesisEndpoint !== undefined;
const targets = config.targets.map((stream) => ({
  label: stream.arn ?? stream.name,
  kinesis: createKinesisClient(config.aws, stream.region ?? config.aws.region),
  stream: streamRef(stream, local),
}));
const sqs = createSqsClient(config.aws);
const observability = createObservability({ serviceName: 'relay' });
const deps = { targets, sqs, dlqUrl: config.dlqUrl, maxMessageBytes: config.dlqMaxMessageBytes, functionName: config.functionName };

export const handler = (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> =>
  handleRelay(event.Records, { ...deps, deadline: Date.now() + context.getRemainingTimeInMillis() - config.deadlineMarginMs }, observability);
