import { gzipSync } from 'node:zlib';
import { bodyEncoding } from '../../lib/ingest/bodyEncoding';
import { bodyFormat } from '../../lib/ingest/bodyFormat';
import { GUNZIP_CHUNK_BYTES, gunzipBounded } from '../../lib/ingest/gunzipBounded';
import { handleIngest } from '../../lib/ingest/handleIngest';
import { DEFAULT_MAX_BODY_BYTES } from '../../lib/ingest/limits';
import { parseItems } from '../../lib/ingest/parseItems';
import { base64DecodedLength } from '../../lib/ingest/readBody';
import { ingestDeps } from '../helpers/ingestDeps';
import { postTelemetry } from '../helpers/apiEvent';
import { createStream, readAllRecords, testKinesis } from '../helpers/local';

const MiB = 1024 * 1024;

/** 1 GiB of zeros in about 1 MB: 16 concatenated gzip members (a valid gzip stream) of 64 MiB each. */
function gzipBomb(): { body: Buffer; inflatesTo: number } {
  const member = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
  return { body: Buffer.concat(Array.from({ length: 16 }, () => member)), inflatesTo: 16 * 64 * MiB };
}

describe('gzip bomb', () => {
  const bomb = gzipBomb();

  it('is small on the wire and huge inflated', () => {
    expect(bomb.body.length).toBeLessThan(DEFAULT_MAX_BODY_BYTES);
    expect(bomb.inflatesTo).toBeGreaterThan(200 * DEFAULT_MAX_BODY_BYTES);
  });

  it('is stopped at the limit: at most one chunk past it is ever inflated', async () => {
    const result = await gunzipBounded(bomb.body, DEFAULT_MAX_BODY_BYTES);
    expect(result.ok).toBe(false);
    if (result.ok || result.reason !== 'too-large')
      throw new Error(`expected too-large, got ${JSON.stringify(result)}`);
    expect(result.inflatedBytes).toBeGreaterThan(DEFAULT_MAX_BODY_BYTES);
    expect(result.inflatedBytes).toBeLessThanOrEqual(DEFAULT_MAX_BODY_BYTES + GUNZIP_CHUNK_BYTES);
  });

  it('is refused by ingest with 413 and nothing put', async () => {
    const kinesis = testKinesis();
    const stream = await createStream(kinesis);
    const answer = await handleIngest(
      postTelemetry({
        headers: { 'x-api-key': 'k', 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: bomb.body,
      }),
      Date.now() + 20_000,
      ingestDeps(kinesis, stream, { apiKeys: ['k'] }),
    );
    expect(answer.statusCode).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limitBytes: DEFAULT_MAX_BODY_BYTES });
    expect(await readAllRecords(kinesis, stream)).toHaveLength(0);
  });
});

describe('gunzipBounded', () => {
  it('inflates multi-member gzip up to exactly the limit', async () => {
    const data = Buffer.from('0123456789');
    const result = await gunzipBounded(Buffer.concat([gzipSync(data), gzipSync(data)]), 20);
    expect(result).toEqual({ ok: true, data: Buffer.concat([data, data]) });
  });
  it('reports corrupt input as a result, not an exception', async () => {
    await expect(gunzipBounded(Buffer.from('plain text'), 100)).resolves.toMatchObject({
      ok: false,
      reason: 'corrupt',
    });
  });
});

describe('body format and encoding', () => {
  it.each([
    [undefined, 'json'],
    ['application/json', 'json'],
    ['Application/JSON; charset="utf-8"', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['application/jsonl; charset=utf8', 'ndjson'],
  ])('reads content type %s as %s', (type, format) => {
    expect(bodyFormat(type)).toEqual({ ok: true, format });
  });
  it.each([
    [undefined, 'identity'],
    ['identity', 'identity'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    ['identity, gzip', 'gzip'],
  ])('reads content encoding %s as %s', (encoding, expected) => {
    expect(bodyEncoding(encoding)).toEqual({ ok: true, encoding: expected });
  });
  it('computes the decoded length of base64 without decoding', () => {
    for (const size of [1, 2, 3, 4, 100, 1025]) {
      expect(base64DecodedLength(Buffer.alloc(size).toString('base64'))).toBe(size);
    }
  });
});

describe('parseItems', () => {
  it('refuses more NDJSON lines than the limit', () => {
    const body = Buffer.from('{}\n'.repeat(200_000));
    expect(parseItems(body, 'ndjson', 10)).toMatchObject({
      ok: false,
      failure: { status: 413, code: 'TOO_MANY_EVENTS' },
    });
  });
  it('parses a deeply nested body without exhausting the stack (it is refused per item later)', () => {
    const depth = 100_000;
    const parsed = parseItems(Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`), 'json', 10);
    expect(parsed).toMatchObject({ ok: true, items: [{ ok: true }] });
  });
  it('strips a UTF-8 byte order mark', () => {
    const parsed = parseItems(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]), 'json', 10);
    expect(parsed).toEqual({ ok: true, items: [{ ok: true, value: { a: 1 } }] });
  });
});
