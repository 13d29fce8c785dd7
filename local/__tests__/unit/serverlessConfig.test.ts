/**
 * The local stack's configuration side: a `stream` event of the resolved serverless config turned
 * into the emulator's mapping options (with the framework's defaults and clear errors), and the
 * project's own `serverless.yml` read through `serverless print --stage local`.
 */
import { EmulatorConfigError } from '../../../emulator/src';
import { ConfigError } from '../../../lib/errors';
import {
  loadServerlessConfig,
  localArnResolver,
  mappingFromServerlessEvent,
  streamMappingsFromConfig,
  type ResolvedServerlessConfig,
} from '../../src';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:dlq';
const literal = (value: unknown): string => {
  if (typeof value !== 'string') throw new Error(`not a literal: ${JSON.stringify(value)}`);
  return value;
};

/** Shaped like `serverless print --stage local --format json` prints this project. */
const printed: ResolvedServerlessConfig = {
  service: 'telemetry-pipeline',
  provider: { region: 'us-east-1', stage: 'local', timeout: 10, memorySize: 512 },
  functions: {
    ingest: {
      handler: 'handlers/ingest.handler',
      name: 'telemetry-pipeline-local-ingest',
      events: [{ httpApi: { method: 'POST', path: '/telemetry' } }],
    },
    consumer: {
      handler: 'handlers/consumer.handler',
      name: 'telemetry-pipeline-local-consumer',
      timeout: 60,
      memorySize: 1024,
      events: [
        {
          stream: {
            type: 'kinesis',
            arn: { 'Fn::GetAtt': ['TelemetryStream', 'Arn'] },
            batchSize: 1000,
            batchWindow: 0,
            startingPosition: 'TRIM_HORIZON',
            parallelizationFactor: 2,
            maximumRetryAttempts: 2,
            maximumRecordAgeInSeconds: 600,
            bisectBatchOnFunctionError: true,
            functionResponseType: 'ReportBatchItemFailures',
            destinations: { onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
          },
        },
      ],
    },
    relay: {
      handler: 'handlers/relay.handler',
      name: 'telemetry-pipeline-local-relay',
      events: [{ stream: STREAM_ARN }],
    },
  },
  resources: {
    Resources: {
      TelemetryStream: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'telemetry-pipeline-local-telemetry' } },
      DeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'telemetry-pipeline-local-dlq' } },
      Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
    },
  },
};

describe('mappingFromServerlessEvent', () => {
  it('converts every key of a full stream event', () => {
    const converted = mappingFromServerlessEvent(
      {
        type: 'kinesis',
        arn: STREAM_ARN,
        batchSize: 500,
        batchWindow: 3,
        startingPosition: 'AT_TIMESTAMP',
        startingPositionTimestamp: 1_700_000_000,
        maximumRetryAttempts: 4,
        maximumRecordAgeInSeconds: 3600,
        bisectBatchOnFunctionError: true,
        parallelizationFactor: 10,
        functionResponseType: 'ReportBatchItemFailures',
        destinations: { onFailure: QUEUE_ARN },
        enabled: false,
      },
      { resolveArn: literal },
    );
    expect(converted).toEqual({
      streamArn: STREAM_ARN,
      enabled: false,
      mapping: {
        batchSize: 500,
        maximumBatchingWindowInSeconds: 3,
        startingPosition: 'AT_TIMESTAMP',
        startingPositionTimestamp: 1_700_000_000,
        maximumRetryAttempts: 4,
        maximumRecordAgeInSeconds: 3600,
        bisectBatchOnFunctionError: true,
        parallelizationFactor: 10,
        reportBatchItemFailures: true,
        onFailure: { queueArn: QUEUE_ARN },
      },
    });
  });

  it("applies the framework's defaults to a bare ARN (osls compiles BatchSize 10, TRIM_HORIZON)", () => {
    expect(mappingFromServerlessEvent(STREAM_ARN, { resolveArn: literal })).toEqual({
      streamArn: STREAM_ARN,
      enabled: true,
      mapping: {
        batchSize: 10,
        maximumBatchingWindowInSeconds: 0,
        startingPosition: 'TRIM_HORIZON',
        maximumRetryAttempts: -1,
        maximumRecordAgeInSeconds: -1,
        bisectBatchOnFunctionError: false,
        parallelizationFactor: 1,
        reportBatchItemFailures: false,
      },
    });
  });

  it('takes maximumBatchingWindow as well as batchWindow, and onFailure as { arn, type }', () => {
    const { mapping } = mappingFromServerlessEvent(
      { arn: STREAM_ARN, maximumBatchingWindow: 5, destinations: { onFailure: { arn: QUEUE_ARN, type: 'sqs' } } },
      { resolveArn: literal },
    );
    expect(mapping).toMatchObject({ maximumBatchingWindowInSeconds: 5, onFailure: { queueArn: QUEUE_ARN } });
  });

  it.each([
    [{ arn: STREAM_ARN, batchsize: 10 }, /unknown key "batchsize"/],
    [{ arn: STREAM_ARN, startingPosition: 'OLDEST' }, /startingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP/],
    // Caught by the emulator's own validation (validateMapping), which throws its own error type.
    [
      { arn: STREAM_ARN, startingPosition: 'AT_TIMESTAMP' },
      /startingPositionTimestamp .* is required/,
      EmulatorConfigError,
    ],
    [{ arn: STREAM_ARN, batchSize: 0 }, /batchSize must be an integer from 1 to 10000/],
    [{ arn: STREAM_ARN, batchSize: '100' }, /batchSize must be an integer/],
    [
      { arn: STREAM_ARN, maximumRecordAgeInSeconds: 30 },
      /maximumRecordAgeInSeconds must be an integer from 60 to 604800 or -1/,
    ],
    [{ arn: STREAM_ARN, maximumRetryAttempts: -2 }, /maximumRetryAttempts must be an integer from 0 to 10000 or -1/],
    [{ arn: STREAM_ARN, parallelizationFactor: 11 }, /parallelizationFactor must be an integer from 1 to 10/],
    [{ arn: STREAM_ARN, bisectBatchOnFunctionError: 'yes' }, /bisectBatchOnFunctionError must be true or false/],
    [{ arn: STREAM_ARN, functionResponseType: 'Partial' }, /functionResponseType must be ReportBatchItemFailures/],
    [{ arn: STREAM_ARN, type: 'dynamodb' }, /type "dynamodb" is not emulated/],
    [
      { arn: STREAM_ARN, tumblingWindowInSeconds: 60 },
      /tumblingWindowInSeconds is valid for the framework but not emulated/,
    ],
    [{ arn: STREAM_ARN, consumer: true }, /consumer is valid for the framework but not emulated/],
    [
      { arn: STREAM_ARN, destinations: { onFailure: { arn: 'arn:aws:sns:us-east-1:000000000000:t', type: 'sns' } } },
      /type "sns" is not emulated/,
    ],
    [{ arn: STREAM_ARN, destinations: { onFailure: 'arn:aws:sns:us-east-1:000000000000:t' } }, /not an SQS queue ARN/],
    [{ arn: STREAM_ARN, destinations: { onSuccess: QUEUE_ARN } }, /unknown key\(s\) onSuccess/],
    [{ arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x' }, /not a Kinesis stream ARN/],
    [42, /must be an ARN or an object/],
  ])(
    'refuses %j with a clear error',
    (event: unknown, message: RegExp, type: typeof ConfigError | typeof EmulatorConfigError = ConfigError) => {
      const convert = (): unknown => mappingFromServerlessEvent(event, { resolveArn: literal });
      expect(convert).toThrow(type);
      expect(convert).toThrow(message);
    },
  );
});

describe('streamMappingsFromConfig', () => {
  it('finds every stream event, resolves Fn::GetAtt to local ARNs and takes timeout and memory from the function or provider', () => {
    const mappings = streamMappingsFromConfig(printed);
    expect(mappings.map(({ mapping: _mapping, ...rest }) => rest)).toEqual([
      {
        functionKey: 'consumer',
        functionName: 'telemetry-pipeline-local-consumer',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:telemetry-pipeline-local-consumer',
        // The framework's one execution role, as AWS puts it in each record's invokeIdentityArn.
        roleArn: 'arn:aws:iam::000000000000:role/telemetry-pipeline-local-us-east-1-lambdaRole',
        handler: 'handlers/consumer.handler',
        timeoutSeconds: 60,
        memorySizeMb: 1024,
        streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry-pipeline-local-telemetry',
        streamName: 'telemetry-pipeline-local-telemetry',
        enabled: true,
      },
      {
        functionKey: 'relay',
        functionName: 'telemetry-pipeline-local-relay',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:telemetry-pipeline-local-relay',
        // The framework's one execution role, as AWS puts it in each record's invokeIdentityArn.
        roleArn: 'arn:aws:iam::000000000000:role/telemetry-pipeline-local-us-east-1-lambdaRole',
        handler: 'handlers/relay.handler',
        timeoutSeconds: 10,
        memorySizeMb: 512,
        streamArn: STREAM_ARN,
        streamName: 'telemetry',
        enabled: true,
      },
    ]);
    expect(mappings[0]?.mapping).toMatchObject({
      batchSize: 1000,
      parallelizationFactor: 2,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      onFailure: { queueArn: 'arn:aws:sqs:us-east-1:000000000000:telemetry-pipeline-local-dlq' },
    });
  });

  it('names the function and event in an error, and refuses references it cannot resolve locally', () => {
    const bad: ResolvedServerlessConfig = {
      ...printed,
      functions: {
        consumer: { handler: 'h.handler', events: [{ stream: { type: 'kinesis', arn: { 'Fn::ImportValue': 'x' } } }] },
      },
    };
    expect(() => streamMappingsFromConfig(bad)).toThrow(
      /functions\.consumer\.events\[0\]\.stream: arn: cannot resolve/,
    );
    const resolve = localArnResolver(printed, { region: 'eu-west-1' });
    expect(resolve({ 'Fn::GetAtt': 'DeadLetterQueue.Arn' }, 'x')).toBe(
      'arn:aws:sqs:eu-west-1:000000000000:telemetry-pipeline-local-dlq',
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Alarm', 'Arn'] }, 'x')).toThrow(
      /not a Kinesis stream, an SQS queue or an S3 bucket/,
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Missing', 'Arn'] }, 'x')).toThrow(/does not exist|not a Kinesis/);
  });

  it("takes a mapping's on-failure destination from resources.extensions (an S3 bucket the framework cannot express)", () => {
    const bucketName = { 'Fn::Sub': 'telemetry-pipeline-local-failures-${AWS::AccountId}-${AWS::Region}' };
    const extended: ResolvedServerlessConfig = {
      ...printed,
      resources: {
        Resources: {
          ...printed.resources?.Resources,
          FailuresBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: bucketName } },
        },
        extensions: {
          ConsumerEventSourceMappingKinesisTelemetryStream: {
            Properties: {
              DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailuresBucket', 'Arn'] } } },
            },
          },
        },
      },
    };
    const [consumer, relay] = streamMappingsFromConfig(extended, { region: 'eu-west-1' });
    expect(consumer?.mapping.onFailure).toEqual({
      bucketArn: 'arn:aws:s3:::telemetry-pipeline-local-failures-000000000000-eu-west-1',
    });
    // The relay's event names its stream by ARN, not by a logical id: no extension applies to it.
    expect(relay?.mapping.onFailure).toBeUndefined();

    const unnamed: ResolvedServerlessConfig = {
      ...extended,
      resources: {
        ...extended.resources,
        Resources: { ...extended.resources?.Resources, FailuresBucket: { Type: 'AWS::S3::Bucket', Properties: {} } },
      },
    };
    expect(() => streamMappingsFromConfig(unnamed)).toThrow(/an S3 bucket needs an explicit BucketName/);
  });

  it("reads this project's serverless.yml for the local stage", async () => {
    const config = await loadServerlessConfig({ stage: 'local' });
    const mappings = streamMappingsFromConfig(config);
    expect(mappings.length).toBeGreaterThan(0);
    for (const found of mappings) {
      const fn = config.functions?.[found.functionKey];
      const events = ((fn?.events ?? []) as { stream?: Record<string, unknown> }[]).filter((event) => event.stream);
      const stream = events[0]?.stream ?? {};
      expect(found.mapping.batchSize).toBe(stream.batchSize ?? 10);
      expect(found.mapping.bisectBatchOnFunctionError).toBe(stream.bisectBatchOnFunctionError ?? false);
      expect(found.mapping.reportBatchItemFailures).toBe(stream.functionResponseType === 'ReportBatchItemFailures');
      expect(found.streamArn).toMatch(/^arn:aws:kinesis:[a-z0-9-]+:000000000000:stream\/.+-local-.+$/);
      // The stage's default failureDestination s3: the failures bucket, through resources.extensions.
      if (stream.destinations)
        expect(found.mapping.onFailure).toEqual({
          bucketArn: expect.stringMatching(/^arn:aws:s3:::.+-local-failures-000000000000-[a-z0-9-]+$/),
        });
    }
  }, 60_000);
});
