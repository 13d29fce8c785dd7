/** Kinesis Data Streams limits the write path enforces before AWS would (numbers from the AWS docs). */
export const MAX_RECORDS_PER_PUT = 500;
/** Per PutRecords request: data plus partition keys of every entry. */
export const MAX_BYTES_PER_PUT = 5 * 1024 * 1024;
/** Per record: data plus partition key. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** Partition keys are 1-256 Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;
