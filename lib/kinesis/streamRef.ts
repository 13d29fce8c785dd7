/**
 * Naming a stream: by name within this account and region, by ARN anywhere else (a relay target
 * may be in another region or account).
 */
import type { AwsConfig } from '../config';
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

/** A stream as the calls address it, and the region whose client must make them. */
export interface ResolvedStream extends ParsedStream {
  ref: StreamRef;
  /** The stream's region, or the caller's when only a name was given. */
  clientRegion: string;
}

/** Turns a stream name or ARN into what a Kinesis call needs; built once from the config. */
export type StreamResolver = (value: string) => ResolvedStream;

/**
 * @example
 * const resolve = streamResolver(readAwsConfig(process.env));
 * resolve('arn:aws:kinesis:eu-west-1:123456789012:stream/central').ref; // { streamArn: '...' }
 */
export function streamResolver(aws: Pick<AwsConfig, 'region' | 'streamAddressing'>): StreamResolver {
  return (value) => {
    const stream = parseStream(value);
    const ref: StreamRef =
      stream.arn && aws.streamAddressing === 'arn' ? { streamArn: stream.arn } : { streamName: stream.name };
    return { ...stream, ref, clientRegion: stream.region ?? aws.region };
  };
}
