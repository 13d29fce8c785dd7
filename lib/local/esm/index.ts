/**
 * The Kinesis event-source-mapping emulator: `startEventSourceMapping` drives a real handler with
 * Lambda's semantics; the rest reads the mapping settings from the resolved `serverless.yml`.
 */
export { startEventSourceMapping } from './eventSourceMapping';
export { validateMapping } from './mappingOptions';
export { mappingFromServerlessEvent, type ArnResolver, type ServerlessStreamMapping } from './serverlessEvent';
export {
  loadServerlessConfig,
  localArnResolver,
  streamMappingsFromConfig,
  LOCAL_ACCOUNT_ID,
  type ResolvedServerlessConfig,
  type StreamFunctionMapping,
} from './serverlessConfig';
export type { OnFailureMessage, FailureCondition } from './onFailureMessage';
export type * from './types';
