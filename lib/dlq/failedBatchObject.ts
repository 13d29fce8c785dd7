/**
 * The object Lambda writes to an S3 on-failure destination: the on-failure record the queue used to
 * get (`requestContext`, `responseContext`, `KinesisBatchInfo`, ...) plus `payload.Records`, the
 * failed batch's Kinesis event records exactly as the function received them (base64 data included),
 * so a replay needs nothing from the stream.
 */
import { isPlainObject as isObject } from '../errors';
import { DlqMessageError } from './errors';
import type { LambdaFailureRecord } from './lambdaFailure';
import { isBase64, parseLambdaFailure } from './parseDlqMessage';

export interface FailedBatchRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** Base64, as the event carried it. */
  data: string;
  /** Epoch seconds. */
  approximateArrivalTimestamp: number;
}

export interface FailedBatchObject {
  failure: LambdaFailureRecord;
  /** Undefined when the object has no payload (then the records must be re-read from the range). */
  records: FailedBatchRecord[] | undefined;
}

function eventRecord(value: unknown, index: number): FailedBatchRecord {
  const where = `payload.Records[${index}].kinesis`;
  const kinesis = isObject(value) && isObject(value.kinesis) ? value.kinesis : undefined;
  if (!kinesis) throw new DlqMessageError(`${where} is not an object`);
  const { data, partitionKey, sequenceNumber, approximateArrivalTimestamp } = kinesis;
  if (typeof data !== 'string' || !isBase64(data)) throw new DlqMessageError(`${where}.data is not base64`);
  if (typeof partitionKey !== 'string' || partitionKey === '')
    throw new DlqMessageError(`${where}.partitionKey must be a non-empty string`);
  if (typeof sequenceNumber !== 'string') throw new DlqMessageError(`${where}.sequenceNumber must be a string`);
  return {
    data,
    partitionKey,
    sequenceNumber,
    approximateArrivalTimestamp: typeof approximateArrivalTimestamp === 'number' ? approximateArrivalTimestamp : 0,
  };
}

/**
 * @throws DlqMessageError saying what is wrong: not JSON, no `KinesisBatchInfo`, a record without
 *   base64 data or a partition key.
 * @example
 * const { failure, records } = parseFailedBatchObject(await body.transformToString());
 */
export function parseFailedBatchObject(body: string): FailedBatchObject {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new DlqMessageError('failed-batch object is not JSON', { cause: error });
  }
  if (!isObject(value)) throw new DlqMessageError('failed-batch object is not a JSON object');
  if (!('KinesisBatchInfo' in value))
    throw new DlqMessageError('failed-batch object has no KinesisBatchInfo (not a Kinesis on-failure record)');
  const failure = parseLambdaFailure(value);
  const payload = value.payload;
  if (payload === undefined || payload === null) return { failure, records: undefined };
  const records = isObject(payload) ? payload.Records : undefined;
  if (!Array.isArray(records)) throw new DlqMessageError('failed-batch object: payload.Records is not an array');
  return { failure, records: records.map(eventRecord) };
}
