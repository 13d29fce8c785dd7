/**
 * A local emulator of Lambda's Kinesis event source mapping: `startEventSourceMapping` drives a
 * real handler with Lambda's semantics (batching, retries, bisection, partial-batch responses,
 * checkpoints, on-failure records). It knows Lambda, Kinesis and SQS, and nothing of the pipeline
 * it runs. Also exported: the Lambda event and context builders it uses, for tests and benchmarks.
 */
export { startEventSourceMapping } from './eventSourceMapping';
export { validateMapping } from './mappingOptions';
export { EmulatorConfigError } from './errors';
export { buildKinesisEvent, recordPayloadBytes, MAX_PAYLOAD_BYTES, type EventSource } from './kinesisEvent';
export { createLambdaContext, lambdaContext, type ContextOptions } from './lambdaContext';
export { toStreamRecord, type StreamRecord } from './streamRecord';
export type { OnFailureMessage, FailureCondition, KinesisBatchInfo } from './onFailureMessage';
export type * from './types';
export { DEFAULT_TIMING } from './timing';
