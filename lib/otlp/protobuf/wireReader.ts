/**
 * A bounded reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/),
 * enough for OTLP and nothing more: no schema, no reflection, no allocation for nesting. Every read
 * is checked against the end of the message being read before anything is sliced or allocated, so
 * a hostile body (a length of 2^31, an endless varint, a truncated field) is refused with a
 * `ProtobufDecodeError` naming the byte offset instead of reading past its bounds.
 */
import { PipelineError } from '../../errors';

/** A body that is not well-formed protobuf, or not the OTLP message it should be. */
export class ProtobufDecodeError extends PipelineError {
  override readonly name = 'ProtobufDecodeError';
  /**
   * Where in the request the failure is, outermost first (`resourceSpans[0]`, `scopeSpans[1]`, ...).
   * The decoders add to it as the error passes up through them, so the reader need not know the schema.
   */
  readonly path: string[] = [];
  constructor(
    /** What is wrong, without the position: `truncated varint`, `12 bytes, not 16`. */
    readonly reason: string,
    /** Offset in the body where the faulty field, length or value starts. */
    readonly offset: number,
  ) {
    super('INVALID_PROTOBUF', `${reason} (at byte ${offset})`, { details: { offset } });
  }
}

/** The wire types proto3 still uses (3 and 4, groups, are proto2 only; 6 and 7 do not exist). */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

// `ignoreBOM` keeps a leading U+FEFF as part of the string: protobuf strings are content, not documents.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Reads one body front to back. Nested messages are read in place: `enter()` narrows the readable
 * end to the embedded message and `leave()` restores it, so no sub-buffer or sub-reader is made.
 *
 * @example
 * const reader = new WireReader(body);
 * while (!reader.atEnd()) {
 *   const tag = reader.readTag();
 *   if (tag >>> 3 === 1 && (tag & 7) === WireType.LEN) console.log(reader.readString());
 *   else reader.skip(tag & 7);
 * }
 */
export class WireReader {
  /** Offset of the next byte to read. */
  pos = 0;
  /** Offset just past the message being read (the body's end at the top level). */
  private limit: number;
  private readonly view: DataView;
  // The last varint or fixed64 read, as two unsigned 32-bit halves: JS numbers hold 53 bits, and a
  // bigint per varint would make the common small values (lengths, tags, enums) slow.
  private lo = 0;
  private hi = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.limit = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Whether the message being read has no more bytes. */
  atEnd(): boolean {
    return this.pos >= this.limit;
  }

  /** Bytes left in the message being read. */
  remaining(): number {
    return this.limit - this.pos;
  }

  /**
   * Reads a length prefix and narrows the reader to the embedded message it announces.
   * Returns the outer end, to hand back to `leave()` once the embedded message is read.
   */
  enter(): number {
    const length = this.readLength();
    const outer = this.limit;
    this.limit = this.pos + length;
    return outer;
  }

  /** Ends the embedded message `enter()` started: the reader must be at its end. */
  leave(outer: number): void {
    // A nested decoder stops only at the end it was given, so this guards against a bug, not input.
    if (this.pos !== this.limit) throw new ProtobufDecodeError('embedded message not read to its end', this.pos);
    this.limit = outer;
  }

  /**
   * Reads a field's tag and returns it whole: field number `tag >>> 3`, wire type `tag & 7`.
   * Refuses field number 0, field numbers above 2^29 - 1, groups (3, 4) and wire types 6 and 7.
   */
  readTag(): number {
    const start = this.pos;
    this.readVarint();
    if (this.hi !== 0 || this.lo >>> 3 === 0) throw new ProtobufDecodeError('invalid field number', start);
    const wireType = this.lo & 7;
    if (wireType === 3 || wireType === 4)
      throw new ProtobufDecodeError('groups (wire types 3, 4) are not supported', start);
    if (wireType > 5) throw new ProtobufDecodeError(`invalid wire type ${wireType}`, start);
    return this.lo;
  }

  /** A `uint32` varint (a longer varint keeps its low 32 bits, as protobuf's parsers do). */
  readUint32(): number {
    this.readVarint();
    return this.lo;
  }

  /** An `int32` or enum varint: negative values come sign-extended to 10 bytes. */
  readInt32(): number {
    this.readVarint();
    return this.lo | 0;
  }

  /** A `sint32` varint (zigzag: 0, -1, 1, -2 ... encode as 0, 1, 2, 3 ...). */
  readSint32(): number {
    this.readVarint();
    return (this.lo >>> 1) ^ -(this.lo & 1);
  }

  readBool(): boolean {
    this.readVarint();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** A `uint64` varint as a decimal string. */
  readUint64(): string {
    this.readVarint();
    return unsignedDecimal(this.lo, this.hi);
  }

  /** An `int64` varint (two's complement) as a decimal string. */
  readInt64(): string {
    this.readVarint();
    return signedDecimal(this.lo, this.hi);
  }

  readFixed32(): number {
    this.need(4);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** A `fixed64` as a decimal string. */
  readFixed64(): string {
    this.readEight();
    return unsignedDecimal(this.lo, this.hi);
  }

  /** An `sfixed64` as a decimal string. */
  readSfixed64(): string {
    this.readEight();
    return signedDecimal(this.lo, this.hi);
  }

  readDouble(): number {
    this.need(8);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** A length-delimited field's content, as a view of the body (not a copy). */
  readBytes(): Uint8Array {
    const length = this.readLength();
    const start = this.pos;
    this.pos += length;
    return this.bytes.subarray(start, this.pos);
  }

  /** A length-delimited field as UTF-8 text; invalid UTF-8 is a decode error, not U+FFFD. */
  readString(): string {
    const length = this.readLength();
    const start = this.pos;
    const end = start + length;
    this.pos = end;
    // Most OTLP strings are short ASCII (keys, names, routes): built by hand they skip TextDecoder's
    // per-call cost, about half of it at this size. ASCII is always valid UTF-8.
    if (length <= 32) {
      let text = '';
      for (let index = start; index < end; index++) {
        const byte = this.bytes[index] as number;
        if (byte >= 0x80) return decodeUtf8(this.bytes, start, end);
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return decodeUtf8(this.bytes, start, end);
  }

  /**
   * Reads a length prefix and checks it against the bytes left in the current message, before the
   * caller slices or allocates anything for it. Leaves the reader at the first byte of the content.
   */
  readLength(): number {
    const start = this.pos;
    this.readVarint();
    if (this.hi !== 0 || this.lo > this.limit - this.pos) {
      throw new ProtobufDecodeError(
        `length ${unsignedDecimal(this.lo, this.hi)} exceeds the ${this.limit - this.pos} bytes left`,
        start,
      );
    }
    return this.lo;
  }

  /** Skips a field of any wire type `readTag` accepts (the value of an unknown field). */
  skip(wireType: number): void {
    if (wireType === WireType.VARINT) this.readVarint();
    else if (wireType === WireType.I64) this.advance(8);
    else if (wireType === WireType.LEN) {
      // Not `this.pos += this.readLength()`: that would add to the position from before the prefix.
      const length = this.readLength();
      this.pos += length;
    } else if (wireType === WireType.I32) this.advance(4);
    else throw new ProtobufDecodeError(`cannot skip wire type ${wireType}`, this.pos);
  }

  private advance(count: number): void {
    this.need(count);
    this.pos += count;
  }

  private need(count: number): void {
    if (count > this.limit - this.pos) {
      throw new ProtobufDecodeError(`truncated: ${count} bytes needed, ${this.limit - this.pos} left`, this.pos);
    }
  }

  private readEight(): void {
    this.need(8);
    this.lo = this.view.getUint32(this.pos, true);
    this.hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
  }

  /** Reads a varint of at most 10 bytes into `lo`/`hi`; refuses an 11th byte and bits beyond 64. */
  private readVarint(): void {
    const bytes = this.bytes;
    const start = this.pos;
    const end = Math.min(this.limit, start + 10);
    let lo = 0;
    let hi = 0;
    for (let pos = start, shift = 0; pos < end; pos++, shift += 7) {
      const byte = bytes[pos] as number;
      const bits = byte & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= bits << 28; // the top 4 bits are dropped here and land in hi below
        hi = bits >>> 4;
      } else if (shift < 63) hi |= bits << (shift - 32);
      else if (byte >= 0x80) throw new ProtobufDecodeError('varint longer than 10 bytes', start);
      else if (byte > 1) throw new ProtobufDecodeError('varint overflows 64 bits', start);
      else hi |= byte << 31;
      if (byte < 0x80) {
        this.pos = pos + 1;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    // Ten bytes always end inside the loop, so running out here means the message ended first.
    throw new ProtobufDecodeError('truncated varint', start);
  }
}

function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new ProtobufDecodeError('invalid UTF-8', start);
  }
}

/** Two unsigned 32-bit halves as a decimal string, exact over the whole 64-bit range. */
function unsignedDecimal(lo: number, hi: number): string {
  // Below 2^53 a double is exact and much cheaper than a bigint.
  if (hi < 0x20_0000) return String(hi * TWO_POW_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

function signedDecimal(lo: number, hi: number): string {
  if (hi < 0x8000_0000) return unsignedDecimal(lo, hi);
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}
