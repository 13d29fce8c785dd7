/**
 * The two protobuf messages an OTLP/HTTP receiver answers with: `Export*ServiceResponse` (200) and
 * `google.rpc.Status` (4xx / 5xx bodies). Both are a handful of bytes, so a tiny writer does.
 */
import { PipelineError } from '../../errors';
import type { OtlpSignal } from '../model';
import { WireType } from './wireReader';

/** What a 200 answer tells the client it refused: OTLP's `Export*PartialSuccess`. */
export interface OtlpPartialSuccess {
  /** Spans, log records or data points refused (`rejected_spans`, `rejected_log_records`, `rejected_data_points`). */
  rejected: number;
  /** Why, for the client's logs; may be set with `rejected: 0` as a warning. */
  errorMessage: string;
}

/**
 * Encodes an `ExportTraceServiceResponse`, `ExportLogsServiceResponse` or `ExportMetricsServiceResponse`.
 * Without a partial success (or with nothing refused and no message) it is the empty message, which
 * OTLP defines as full success. The three signals' responses share one layout
 * (`partial_success = 1 { int64 rejected_* = 1; string error_message = 2; }`), so `signal` only
 * documents the call. Throws a `PipelineError` (`INVALID_ARGUMENT`) if `rejected` is not a
 * non-negative safe integer: that is a bug in the caller, not something to send.
 *
 * @example
 * encodeExportResponse('traces'); // Uint8Array [] : full success
 * encodeExportResponse('logs', { rejected: 2, errorMessage: 'two records had no body' });
 */
export function encodeExportResponse(_signal: OtlpSignal, partialSuccess?: OtlpPartialSuccess): Uint8Array {
  const writer = new WireWriter();
  if (partialSuccess === undefined) return writer.finish();
  const { rejected, errorMessage } = partialSuccess;
  if (!Number.isSafeInteger(rejected) || rejected < 0) {
    throw new PipelineError('INVALID_ARGUMENT', `rejected must be a non-negative integer, not ${rejected}`);
  }
  if (rejected === 0 && errorMessage === '') return writer.finish();
  const inner = new WireWriter();
  // proto3 leaves fields at their default off the wire.
  if (rejected !== 0) inner.varintField(1, rejected);
  if (errorMessage !== '') inner.stringField(2, errorMessage);
  writer.bytesField(1, inner.finish());
  return writer.finish();
}

/**
 * Encodes a `google.rpc.Status { int32 code = 1; string message = 2; }` (no `details`), the body OTLP/HTTP
 * asks for on a 4xx or 5xx answer. `code` is a gRPC status code (3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED,
 * 14 UNAVAILABLE, ...); throws a `PipelineError` (`INVALID_ARGUMENT`) if it is not an int32.
 *
 * @example
 * encodeRpcStatus(3, 'resourceSpans[0].scopeSpans[0].spans[2].traceId: 12 bytes, not 16');
 */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  if (!Number.isInteger(code) || code < -0x8000_0000 || code > 0x7fff_ffff) {
    throw new PipelineError('INVALID_ARGUMENT', `code must be an int32, not ${code}`);
  }
  const writer = new WireWriter();
  if (code !== 0) writer.varintField(1, code);
  if (message !== '') writer.stringField(2, message);
  return writer.finish();
}

const utf8 = new TextEncoder();

/** Appends fields to a growing byte list: enough for messages of a few hundred bytes. */
class WireWriter {
  private readonly bytes: number[] = [];

  /** A varint field of a safe integer; a negative one is written as int32 / int64 are, sign-extended to 64 bits. */
  varintField(field: number, value: number): void {
    this.tag(field, WireType.VARINT);
    // Split into 32-bit halves: the shifts below work on 32 bits only.
    let lo = value >>> 0;
    let hi = value < 0 ? Math.floor(value / 0x1_0000_0000) >>> 0 : Math.floor(value / 0x1_0000_0000);
    while (hi !== 0 || lo > 0x7f) {
      this.bytes.push((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.bytes.push(lo);
  }

  stringField(field: number, value: string): void {
    this.bytesField(field, utf8.encode(value));
  }

  bytesField(field: number, value: Uint8Array): void {
    this.tag(field, WireType.LEN);
    this.uint32(value.length);
    for (const byte of value) this.bytes.push(byte);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private tag(field: number, wireType: number): void {
    this.uint32((field << 3) | wireType);
  }

  private uint32(value: number): void {
    let rest = value >>> 0;
    while (rest > 0x7f) {
      this.bytes.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    this.bytes.push(rest);
  }
}
