/**
 * Reads a dead-letter message body into one of the kinds the DLQ carries, checking every field a
 * replay relies on, so a malformed message is reported with what is wrong instead of failing later.
 */
import { isPlainObject as isObject } from '../errors';
import { DlqMessageError } from './errors';
import type { KinesisBatchInfo, LambdaFailureRecord } from './lambdaFailure';
import { RECORD_MESSAGE_VERSION, type DlqRecord, type RecordMessage } from './recordMessage';
import { isS3Notification, isS3TestEvent, parseS3Notification, type S3Notification } from './s3Notification';

export type DlqMessage =
  | { kind: 'records'; message: RecordMessage }
  | { kind: 'lambda-failure'; message: LambdaFailureRecord }
  | { kind: 's3-objects'; message: S3Notification }
  /** S3's check of a newly configured notification: names nothing, dropped by the replay. */
  | { kind: 's3-test' };

type Json = Record<string, unknown>;

// The API's pattern for a sequence number: 0|([1-9]\d{0,128}); real ones are 56 digits.
const SEQUENCE_NUMBER = /^(0|[1-9]\d{0,128})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether a record's data is padded base64, as Kinesis gives it (and Lambda's events carry it). */
export function isBase64(data: string): boolean {
  return BASE64.test(data) && data.length % 4 === 0;
}

function text(object: Json, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw new DlqMessageError(`${where}.${key} must be a string`);
  return value;
}

function sequence(object: Json, key: string, where: string): string {
  const value = text(object, key, where);
  if (!SEQUENCE_NUMBER.test(value))
    throw new DlqMessageError(
      `${where}.${key} is not a Kinesis sequence number: ${JSON.stringify(value.slice(0, 60))}`,
    );
  return value;
}

function count(object: Json, key: string, where: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new DlqMessageError(`${where}.${key} must be a number >= 0`);
  return value;
}

function parseRecord(value: unknown, index: number): DlqRecord {
  const where = `records[${index}]`;
  if (!isObject(value)) throw new DlqMessageError(`${where} is not an object`);
  const base = {
    sequenceNumber: sequence(value, 'sequenceNumber', where),
    partitionKey: text(value, 'partitionKey', where),
    approximateArrivalTimestamp: count(value, 'approximateArrivalTimestamp', where),
    ...(typeof value.error === 'string' ? { error: value.error } : {}),
  };
  if (value.data === undefined && value.omittedDataBytes === undefined)
    throw new DlqMessageError(`${where} has neither data nor omittedDataBytes`);
  if (value.data === undefined) return { ...base, omittedDataBytes: count(value, 'omittedDataBytes', where) };
  const data = text(value, 'data', where);
  if (!isBase64(data)) throw new DlqMessageError(`${where}.data is not base64`);
  return { ...base, data };
}

function parseRecordMessage(value: Json): RecordMessage {
  if (value.version !== RECORD_MESSAGE_VERSION)
    throw new DlqMessageError(
      `record message version ${JSON.stringify(value.version)} is not supported (this code reads version ${RECORD_MESSAGE_VERSION})`,
    );
  const records = value.records;
  if (!Array.isArray(records) || records.length === 0)
    throw new DlqMessageError('message.records must be a non-empty array');
  return {
    version: RECORD_MESSAGE_VERSION,
    kind: 'records',
    reason: text(value, 'reason', 'message'),
    error: text(value, 'error', 'message'),
    function: text(value, 'function', 'message'),
    streamArn: text(value, 'streamArn', 'message'),
    shardId: text(value, 'shardId', 'message'),
    records: records.map(parseRecord),
  };
}

function parseBatchInfo(value: unknown): KinesisBatchInfo {
  const where = 'KinesisBatchInfo';
  if (!isObject(value)) throw new DlqMessageError(`${where} is not an object`);
  const info: KinesisBatchInfo = {
    shardId: text(value, 'shardId', where),
    startSequenceNumber: sequence(value, 'startSequenceNumber', where),
    endSequenceNumber: sequence(value, 'endSequenceNumber', where),
    approximateArrivalOfFirstRecord: text(value, 'approximateArrivalOfFirstRecord', where),
    approximateArrivalOfLastRecord: text(value, 'approximateArrivalOfLastRecord', where),
    batchSize: count(value, 'batchSize', where),
    streamArn: text(value, 'streamArn', where),
  };
  if (BigInt(info.startSequenceNumber) > BigInt(info.endSequenceNumber))
    throw new DlqMessageError(`${where}: startSequenceNumber is after endSequenceNumber`);
  return info;
}

/** A field the replay does not depend on: its value when it has the expected type, else a default. */
function optional<T>(object: Json, key: string, is: (value: unknown) => value is T, fallback: T): T {
  const value = object[key];
  return is(value) ? value : fallback;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/**
 * Strict only about what the replay uses (`KinesisBatchInfo`, the condition): a variant of the
 * record with some other field missing or null (e.g. a batch that aged out before any invocation)
 * must still be replayed before the stream's retention drops its range, not kept as unreadable.
 */
export function parseLambdaFailure(value: Json): LambdaFailureRecord {
  const request = isObject(value.requestContext) ? value.requestContext : {};
  const response = isObject(value.responseContext) ? value.responseContext : {};
  const functionError = response.functionError;
  return {
    requestContext: {
      requestId: optional(request, 'requestId', isString, ''),
      functionArn: optional(request, 'functionArn', isString, ''),
      condition: text(request, 'condition', 'requestContext'),
      approximateInvokeCount: optional(request, 'approximateInvokeCount', isCount, 0),
    },
    responseContext: {
      statusCode: optional(response, 'statusCode', isCount, 0),
      executedVersion: optional(response, 'executedVersion', isString, ''),
      functionError: typeof functionError === 'string' ? functionError : null,
    },
    version: optional(value, 'version', isString, ''),
    timestamp: optional(value, 'timestamp', isString, ''),
    KinesisBatchInfo: parseBatchInfo(value.KinesisBatchInfo),
  };
}

/**
 * Recognises our record message (`kind: 'records'`), Lambda's Kinesis on-failure record
 * (`KinesisBatchInfo`) and S3's notification of a failed batch written to the failures bucket
 * (`Records` of `aws:s3` events, or its `s3:TestEvent`); throws `DlqMessageError` saying what is
 * wrong with anything else.
 *
 * @example
 * const parsed = parseDlqMessage(message.Body ?? '');
 * if (parsed.kind === 'records') rePut(parsed.message.records);
 * else reRead(parsed.message.KinesisBatchInfo);
 */
export function parseDlqMessage(body: string): DlqMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new DlqMessageError('dead-letter message is not JSON', { cause: error });
  }
  if (!isObject(value)) throw new DlqMessageError('dead-letter message is not a JSON object');
  if (value.kind === 'records') return { kind: 'records', message: parseRecordMessage(value) };
  if ('KinesisBatchInfo' in value) return { kind: 'lambda-failure', message: parseLambdaFailure(value) };
  if (isS3TestEvent(value)) return { kind: 's3-test' };
  if (isS3Notification(value)) return { kind: 's3-objects', message: parseS3Notification(value) };
  if ('DDBStreamBatchInfo' in value || 'requestPayload' in value)
    throw new DlqMessageError('dead-letter message is a Lambda failure record for another event source (not Kinesis)');
  throw new DlqMessageError(
    'dead-letter message is neither a record message (kind "records"), a Lambda Kinesis on-failure record (KinesisBatchInfo) nor an S3 notification (Records of aws:s3 events)',
  );
}
