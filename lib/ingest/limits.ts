/** Request limits ingest enforces itself, below what API Gateway and Lambda would refuse less kindly. */

/** Default `MAX_BODY_BYTES`: 5 MiB, under a synchronous Lambda's 6 MB request limit. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Highest `MAX_BODY_BYTES` allowed: above this Lambda refuses the request before ingest sees it. */
export const MAX_MAX_BODY_BYTES = 6_000_000;
/** Default `MAX_EVENTS_PER_REQUEST`: 20 PutRecords calls' worth. */
export const DEFAULT_MAX_EVENTS_PER_REQUEST = 10_000;
/** An `Idempotency-Key` longer than this is refused rather than hashed. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
/** Seconds a client is asked to wait after a 503. */
export const STREAM_RETRY_AFTER_SECONDS = 2;
/** Time kept back from the Lambda deadline to build and return the answer after the last put. */
export const DEADLINE_MARGIN_MS = 1_000;
/** Longest ingest keeps a client waiting on Kinesis before it answers 503, whatever the Lambda timeout. */
export const MAX_PUT_MS = 10_000;
