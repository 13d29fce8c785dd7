/**
 * The dead-letter message codec under generated input (fast-check): `packRecordMessages` then
 * `parseDlqMessage` then `resolveMessage` give back exactly the records that went in, in order, none
 * split, truncated or lost, whatever their sizes, partition keys and header texts; every body fits the
 * queue's limit, holds only characters SQS accepts, and is as full as the next record allows; a record
 * is sent without its data only when it could not fit in any message. Lambda's on-failure records
 * parse to what they say, and no body at all makes the parser throw anything but `DlqMessageError`.
 * Pure functions: no services needed.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { DlqMessageError } from '../../lib/dlq/errors';
import { DeadLetterError } from '../../lib/errors';
import { MAX_ERROR_CHARS, packRecordMessages } from '../../lib/dlq/packRecords';
import { parseDlqMessage } from '../../lib/dlq/parseDlqMessage';
import {
  RECORD_MESSAGE_VERSION,
  type DlqRecord,
  type DlqRecordWithData,
  type RecordMessageHeader,
} from '../../lib/dlq/recordMessage';
import { streamResolver } from '../../lib/kinesis/streamRef';
import { resolveMessage } from '../../lib/replay/resolveMessage';

/** What SQS accepts in a message body (XML 1.0 characters); anything else is refused at send. */
const SQS_INVALID = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const unicode = fc.string({ unit: 'binary', maxLength: 60 });
const awkward = fc.constantFrom('\ufffe', '\uffff', '\ud800', '\u0000', '\u2028', '"', '\\', '😀', '\u{10FFFF}');
const text = fc.oneof(
  { weight: 4, arbitrary: unicode },
  { weight: 1, arbitrary: fc.array(awkward, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')) },
);

/** Kinesis sequence numbers: decimal strings up to 129 digits, any magnitude. */
const sequenceNumber = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 129n - 1n }).map(String),
  fc
    .bigInt({
      min: 49_500_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n,
      max: 49_700_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n,
    })
    .map(String),
);

const header: fc.Arbitrary<RecordMessageHeader> = fc.record({
  reason: fc.oneof(fc.constantFrom('invalid-json', 'invalid-event', 'db-rejected', 'relay-rejected'), text),
  error: fc.oneof(text, fc.string({ minLength: MAX_ERROR_CHARS - 5, maxLength: MAX_ERROR_CHARS * 3 })),
  function: text,
  streamArn: fc.constantFrom(
    'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry',
    'arn:aws:kinesis:eu-west-1:123456789012:stream/central',
  ),
  shardId: fc.constantFrom('shardId-000000000000', 'shardId-000000000007'),
});

/** A queue limit from SQS' minimum to its maximum, mostly small so that bodies split often. */
const maxBytes = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1_024, max: 8_192 }) },
  { weight: 1, arbitrary: fc.integer({ min: 8_192, max: 1_048_576 }) },
);

/** Arbitrary bytes of a given size, cheaply (fast-check would draw each of up to 800 KB one by one). */
function bytesOf(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** Records whose data (base64 grows 4/3) lands on both sides of the limit. */
function records(limit: number): fc.Arbitrary<DlqRecordWithData[]> {
  const record = fc.record(
    {
      sequenceNumber,
      partitionKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
      approximateArrivalTimestamp: fc.double({ min: 0, max: 4_102_444_800, noNaN: true }),
      data: fc
        .oneof(
          { weight: 3, arbitrary: fc.integer({ min: 0, max: Math.ceil(limit / 10) }) },
          { weight: 2, arbitrary: fc.integer({ min: 0, max: Math.ceil(limit * 0.8) }) },
        )
        .chain((size) => fc.tuple(fc.constant(size), fc.nat()))
        .map(([size, seed]) => bytesOf(size, seed).toString('base64')),
      error: text,
    },
    { requiredKeys: ['sequenceNumber', 'partitionKey', 'approximateArrivalTimestamp', 'data'] },
  );
  // Fewer records at large limits: the sizes, not the count, are what is being tried there.
  return fc.array(record, { minLength: 1, maxLength: limit > 8_192 ? 6 : 40 });
}

const packCase = maxBytes.chain((limit) => fc.record({ limit: fc.constant(limit), header, records: records(limit) }));

/** The exact bytes of a one-record message holding `entry` (what the packer may not exceed for it). */
function aloneBytes(head: RecordMessageHeader, entry: DlqRecord | Record<string, unknown>): number {
  const clip = (value: string): string =>
    value.length > MAX_ERROR_CHARS ? `${value.slice(0, MAX_ERROR_CHARS)}...` : value;
  const error = (entry as { error?: unknown }).error;
  const message = {
    version: RECORD_MESSAGE_VERSION,
    kind: 'records',
    ...head,
    error: clip(head.error),
    records: [{ ...entry, ...(typeof error === 'string' ? { error: clip(error) } : {}) }],
  };
  return Buffer.byteLength(sqsEscaped(JSON.stringify(message)));
}

function sqsEscaped(json: string): string {
  return json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** The data-less marker the packer sends for a record too large for any message. */
function marker(record: DlqRecordWithData): Record<string, unknown> {
  return {
    sequenceNumber: record.sequenceNumber,
    partitionKey: record.partitionKey,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp,
    omittedDataBytes: Buffer.byteLength(record.data),
  };
}

const noKinesis = (): KinesisClient => {
  throw new Error('a record with its data inline must not need the stream');
};

describe('DLQ record messages (fast-check)', () => {
  it('unpack to exactly what was packed, in order, within the size limit, as full as the next record allows', async () => {
    const seen = { runs: 0, refused: 0, split: 0, omitted: 0, resolved: 0 };
    await fc.assert(
      fc.asyncProperty(packCase, async ({ limit, header: head, records: input }) => {
        seen.runs += 1;
        let bodies: string[];
        try {
          bodies = packRecordMessages(head, input, limit);
        } catch (error) {
          // Refused only when some record cannot be named even without its data (a long header at a tiny limit).
          expect(error).toBeInstanceOf(DeadLetterError);
          expect(input.some((record) => aloneBytes(head, marker(record)) > limit)).toBe(true);
          seen.refused += 1;
          return;
        }
        expect(input.every((record) => aloneBytes(head, marker(record)) <= limit)).toBe(true);
        const out: DlqRecord[] = [];
        const perBody: DlqRecord[][] = [];
        for (const body of bodies) {
          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
          expect(SQS_INVALID.test(body)).toBe(false);
          const parsed = parseDlqMessage(body);
          if (parsed.kind !== 'records') throw new Error('a record message parsed as another kind');
          const { records: got, ...rest } = parsed.message;
          expect(rest).toEqual({
            version: RECORD_MESSAGE_VERSION,
            kind: 'records',
            reason: head.reason,
            error: head.error.length > MAX_ERROR_CHARS ? `${head.error.slice(0, MAX_ERROR_CHARS)}...` : head.error,
            function: head.function,
            streamArn: head.streamArn,
            shardId: head.shardId,
          });
          perBody.push(got);
          out.push(...got);
        }
        expect(out).toHaveLength(input.length);
        if (bodies.length > 1) seen.split += 1;
        if (out.some((record) => record.data === undefined)) seen.omitted += 1;
        input.forEach((sent, k) => {
          const got = out[k] as DlqRecord;
          expect([got.sequenceNumber, got.partitionKey, got.approximateArrivalTimestamp]).toEqual([
            sent.sequenceNumber,
            sent.partitionKey,
            sent.approximateArrivalTimestamp,
          ]);
          if (got.data === undefined) {
            // Sent as a marker only when even a message of its own could not hold it.
            expect(aloneBytes(head, sent)).toBeGreaterThan(limit);
            expect(got.omittedDataBytes).toBe(Buffer.byteLength(sent.data));
          } else {
            expect(got.data).toBe(sent.data);
            // A record's own error is for people: cut when long, never dropped.
            expect(got.error).toBe(
              sent.error === undefined || sent.error.length <= MAX_ERROR_CHARS
                ? sent.error
                : `${sent.error.slice(0, MAX_ERROR_CHARS)}...`,
            );
            expect(aloneBytes(head, sent)).toBeLessThanOrEqual(limit);
          }
        });
        // Greedy: the first record of each later body would not have fitted in the body before it.
        for (let b = 0; b + 1 < bodies.length; b += 1) {
          const next = (perBody[b + 1] as DlqRecord[])[0] as DlqRecord;
          const entry = Buffer.byteLength(sqsEscaped(JSON.stringify(next)));
          expect(Buffer.byteLength(bodies[b] as string) + 1 + entry).toBeGreaterThan(limit);
        }
        // And what the replay makes of them: the original bytes and partition keys, in order.
        if (out.every((record) => record.data !== undefined)) {
          seen.resolved += 1;
          const resolved = [];
          for (const body of bodies)
            resolved.push(
              ...(
                await resolveMessage(parseDlqMessage(body), {
                  kinesisFor: noKinesis,
                  // Never called: inline records need no bucket.
                  s3: new S3Client({ region: 'us-east-1' }),
                  resolveStream: streamResolver({ region: 'us-east-1', streamAddressing: 'name' }),
                  deadline: Date.now() + 1_000,
                })
              ).records,
            );
          expect(resolved.map((r) => [Buffer.from(r.data).toString('base64'), r.partitionKey])).toEqual(
            input.map((r) => [r.data, r.partitionKey]),
          );
        }
      }),
      { numRuns: 1_000 },
    );
    // The interesting cases all came up (counted over the runs, shrinking included).
    expect(Math.min(seen.split, seen.omitted, seen.resolved)).toBeGreaterThan(10);
  }, 60_000);

  it('puts a record that fills a message to the last byte in that message, and one byte more out of it', () => {
    let exercised = 0;
    fc.assert(
      fc.property(
        maxBytes,
        header.map((h) => ({ ...h, error: h.error.slice(0, 40) })),
        fc.integer({ min: 0, max: 180 }),
        (limit, head, slack) => {
          const empty: DlqRecordWithData = {
            sequenceNumber: '49600000000000000000000000000000000000000000000000000001',
            partitionKey: 'k',
            approximateArrivalTimestamp: 1_700_000_000.5,
            data: '',
          };
          // Data that leaves `slack`-ish bytes of room (base64: 4 characters per 3 bytes).
          const size = Math.max(0, Math.floor(((limit - aloneBytes(head, empty) - slack) * 3) / 4));
          const base = { ...empty, data: bytesOf(size, slack).toString('base64') };
          const room = limit - aloneBytes(head, base);
          fc.pre(room >= 0 && room < 255);
          exercised += 1;
          const exact = { ...base, partitionKey: `k${'x'.repeat(room)}` };
          const [body, ...more] = packRecordMessages(head, [exact], limit);
          expect(more).toEqual([]);
          expect(Buffer.byteLength(body as string)).toBe(limit);
          expect(parseDlqMessage(body as string)).toMatchObject({
            kind: 'records',
            message: { records: [{ data: exact.data, partitionKey: exact.partitionKey }] },
          });
          const over = { ...exact, partitionKey: `${exact.partitionKey}x` };
          expect(parseDlqMessage(packRecordMessages(head, [over], limit)[0] as string)).toMatchObject({
            kind: 'records',
            message: { records: [{ omittedDataBytes: Buffer.byteLength(over.data) }] },
          });
          // Two such records never share a message.
          expect(packRecordMessages(head, [exact, exact], limit)).toHaveLength(2);
        },
      ),
      { numRuns: 300 },
    );
    expect(exercised).toBeGreaterThan(200);
  });

  it('parses any Lambda on-failure record to exactly what it says, and refuses a range that ends before it starts', () => {
    fc.assert(
      fc.property(
        sequenceNumber,
        sequenceNumber,
        fc.nat({ max: 10_000 }),
        fc.option(fc.constantFrom('Unhandled', 'Handled'), { nil: null }),
        text,
        (a, b, batchSize, functionError, requestId) => {
          const body = {
            requestContext: {
              requestId,
              functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
              condition: 'RetryAttemptsExhausted',
              approximateInvokeCount: 3,
            },
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError },
            version: '1.0',
            timestamp: '2024-05-01T12:00:00.000Z',
            KinesisBatchInfo: {
              shardId: 'shardId-000000000000',
              startSequenceNumber: a,
              endSequenceNumber: b,
              approximateArrivalOfFirstRecord: '2024-05-01T11:59:58.000Z',
              approximateArrivalOfLastRecord: '2024-05-01T11:59:59.000Z',
              batchSize,
              streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry',
            },
          };
          if (BigInt(a) > BigInt(b)) {
            expect(() => parseDlqMessage(JSON.stringify(body))).toThrow(DlqMessageError);
            return;
          }
          expect(parseDlqMessage(JSON.stringify(body))).toEqual({ kind: 'lambda-failure', message: body });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('throws nothing but DlqMessageError for any other body, however broken', () => {
    const valid = JSON.stringify({
      version: 1,
      kind: 'records',
      reason: 'r',
      error: 'e',
      function: 'f',
      streamArn: 's',
      shardId: 'x',
      records: [{ sequenceNumber: '1', partitionKey: 'k', approximateArrivalTimestamp: 1, data: 'AA==' }],
    });
    const mutated = fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.string({ maxLength: 5 })).map(([at, cut, insert]) => {
      const position = at % valid.length;
      return valid.slice(0, position) + insert + valid.slice(position + cut);
    });
    const shaped = fc
      .record(
        {
          version: fc.jsonValue(),
          kind: fc.constantFrom('records', 'other'),
          records: fc.jsonValue(),
          KinesisBatchInfo: fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          mutated,
          shaped,
        ),
        (body) => {
          try {
            parseDlqMessage(body);
          } catch (error) {
            expect(error).toBeInstanceOf(DlqMessageError);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
