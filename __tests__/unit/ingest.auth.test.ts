import { requestApiKey } from '../../lib/auth/requestKey';
import { createHash } from 'node:crypto';
import { apiKeyMatches, hashApiKey } from '../../lib/auth/apiKey';
import { readApiKeyHashes } from '../../lib/auth/apiKeyHashes';
import { ConfigError } from '../../lib/errors';
import { readIngestConfig } from '../../lib/ingest/config';

const hashes = (...keys: string[]): Buffer[] => keys.map((key) => Buffer.from(hashApiKey(key), 'hex'));

describe('API keys', () => {
  it('hashes a key to the lowercase SHA-256 hex that API_KEY_HASHES holds', () => {
    expect(hashApiKey('s3cret')).toBe(createHash('sha256').update('s3cret').digest('hex'));
  });

  it('matches any configured key and nothing else', () => {
    const configured = hashes('first', 'second');
    expect(apiKeyMatches('first', configured)).toBe(true);
    expect(apiKeyMatches('second', configured)).toBe(true);
    expect(apiKeyMatches('third', configured)).toBe(false);
    expect(apiKeyMatches('First', configured)).toBe(false);
    expect(apiKeyMatches('', configured)).toBe(false);
    expect(apiKeyMatches(undefined, configured)).toBe(false);
    expect(apiKeyMatches('first', [])).toBe(false);
  });

  it('reads API_KEY_HASHES, failing closed on a missing or malformed entry without echoing it', () => {
    const good = hashApiKey('k');
    expect(readApiKeyHashes({ API_KEY_HASHES: ` ${good.toUpperCase()} , ${hashApiKey('j')},` })).toEqual(
      hashes('k', 'j'),
    );
    expect(() => readApiKeyHashes({})).toThrow(ConfigError);
    expect(() => readApiKeyHashes({ API_KEY_HASHES: ' , ' })).toThrow(/API_KEY_HASHES is required/);
    let error: unknown;
    try {
      readApiKeyHashes({ API_KEY_HASHES: `${good},my-plain-key` });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/entry 2 is not a SHA-256/);
    expect((error as Error).message).not.toContain('my-plain-key');
  });
});

describe('requestApiKey: where a request presents its key', () => {
  it.each([
    [{ 'x-api-key': 'k1' }, 'k1'],
    [{ authorization: 'Bearer k2' }, 'k2'],
    [{ Authorization: 'bearer   k3 ' }, 'k3'],
    // x-api-key wins when both are sent.
    [{ 'x-api-key': 'k4', authorization: 'Bearer other' }, 'k4'],
    [{ authorization: 'k5' }, undefined],
    [{ authorization: 'Basic k6' }, undefined],
    [{ authorization: 'Bearer two words' }, undefined],
    [{}, undefined],
  ])('%j -> %s', (headers, key) => {
    expect(requestApiKey({ headers })).toBe(key);
  });
});

describe('readIngestConfig', () => {
  const base = { API_KEY_HASHES: hashApiKey('k') };

  it('reads the stream, limits and keys, with defaults', () => {
    expect(readIngestConfig({ ...base, TELEMETRY_STREAM_NAME: 'telemetry' })).toEqual({
      stream: { streamName: 'telemetry' },
      apiKeyHashes: hashes('k'),
      maxBodyBytes: 5_242_880,
      maxEventsPerRequest: 10_000,
    });
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/telemetry';
    expect(readIngestConfig({ ...base, TELEMETRY_STREAM_ARN: arn, MAX_BODY_BYTES: '1024' })).toMatchObject({
      stream: { streamArn: arn },
      maxBodyBytes: 1024,
    });
  });

  it.each([
    [{ API_KEY_HASHES: hashApiKey('k') }, /TELEMETRY_STREAM_NAME/],
    [{ TELEMETRY_STREAM_NAME: 't' }, /API_KEY_HASHES/],
    [{ ...base, TELEMETRY_STREAM_NAME: 't', MAX_BODY_BYTES: '7000000' }, /MAX_BODY_BYTES must be between/],
    [{ ...base, TELEMETRY_STREAM_NAME: 't', MAX_BODY_BYTES: '5MB' }, /MAX_BODY_BYTES must be an integer/],
  ])('refuses %j', (env, why) => {
    expect(() => readIngestConfig(env)).toThrow(why);
  });
});
