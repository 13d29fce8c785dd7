/**
 * Naming a stream: by name within this account and region, by ARN anywhere else (a relay target
 * may be in another region or account).
 */
import { ConfigError } from '../errors';
import type { StreamRef } from './putRecords';

export interface ParsedStream {
  name: string;
  /** Undefined when only a name was given (same region as the caller). */
  arn: string | undefined;
  region: string | undefined;
  account: string | undefined;
}

const ARN = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream\/([A-Za-z0-9_.-]{1,128})$/;
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * @example
 * parseStream('arn:aws:kinesis:eu-west-1:123456789012:stream/central'); // { name: 'central', region: 'eu-west-1', ... }
 */
export function parseStream(value: string): ParsedStream {
  const arn = ARN.exec(value);
  if (arn) return { name: arn[3] as string, arn: value, region: arn[1], account: arn[2] };
  if (NAME.test(value)) return { name: value, arn: undefined, region: undefined, account: undefined };
  throw new ConfigError(`${JSON.stringify(value)} is neither a Kinesis stream name nor a stream ARN`);
}

/**
 * How to address the stream in a PutRecords/GetRecords call. The ARN form is what cross-account
 * access needs; kinesalite does not know the StreamARN parameter, so against a local endpoint the
 * name is used.
 */
export function streamRef(stream: ParsedStream, localEndpoint: boolean): StreamRef {
  return stream.arn && !localEndpoint ? { streamArn: stream.arn } : { streamName: stream.name };
}
