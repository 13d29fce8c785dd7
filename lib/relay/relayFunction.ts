/** The relay function (telemetry stream -> every target) in the one handler shape (lib/lambda/lambdaHandler.ts). */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createKinesisClient } from '../aws/kinesisClient';
import { createSqsClient } from '../aws/sqsClient';
import { AdaptiveLimit } from '../kinesis/adaptiveLimit';
import { fromLambdaRecord } from '../kinesis/shardRecord';
import { invocationDeadline } from '../lambda/deadline';
import type { FunctionDefinition } from '../lambda/lambdaHandler';
import { readRelayConfig } from './config';
import { handleRelay, type RelayDeps } from './handleRelay';

type RelayFunctionDeps = Omit<RelayDeps, 'deadline'> & { deadlineMarginMs: number };

export const relayFunction: FunctionDefinition<KinesisStreamEvent, KinesisStreamBatchResponse, RelayFunctionDeps> = {
  service: 'relay',
  build: (env, clients) => {
    const config = readRelayConfig(env);
    return {
      // One client per target, in the target's region (a central stream may be elsewhere).
      targets: config.targets.map((stream) => ({
        label: stream.arn ?? stream.name,
        kinesis: createKinesisClient(config.aws, stream.clientRegion, clients),
        stream: stream.ref,
        limit: new AdaptiveLimit(config.putConcurrency),
      })),
      sqs: createSqsClient(config.aws, clients),
      dlqUrl: config.dlqUrl,
      maxMessageBytes: config.dlqMaxMessageBytes,
      functionName: config.functionName,
      deadlineMarginMs: config.deadlineMarginMs,
    };
  },
  handle: (event, context, { deadlineMarginMs, ...deps }, observability) =>
    handleRelay(
      event.Records.map(fromLambdaRecord),
      { ...deps, deadline: invocationDeadline(context, deadlineMarginMs) },
      observability,
    ),
};
