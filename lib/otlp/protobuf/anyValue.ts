/**
 * `AnyValue` and `KeyValue` (opentelemetry/proto/common/v1/common.proto), unwrapped to plain JSON the
 * way OTLP's JSON mapping has them: the one recursive part of OTLP, so the only place nesting depth
 * needs a bound. Every message read here (KeyValue, AnyValue, ArrayValue, KeyValueList) counts
 * against `maxMessages` before it is entered.
 */
import type { OtlpAttributes, OtlpValue } from '../model';
import type { DecodeContext } from './messageSpec';
import { ProtobufDecodeError, type WireReader, WireType } from './wireReader';

/**
 * Counts one embedded message against `maxMessages`, before anything is made for it: the caller
 * calls it first, with the offset of the field's tag. `maxItems` does not bound a body of empty
 * messages (2 bytes each on the wire, a hundred or more each decoded); this does.
 *
 * @example
 * countMessage(context, start);
 * const outer = reader.enter();
 */
export function countMessage(context: DecodeContext, offset: number): void {
  if (++context.messages > context.limits.maxMessages) {
    throw new ProtobufDecodeError(`more than maxMessages (${context.limits.maxMessages}) embedded messages`, offset);
  }
}

/**
 * Reads one `AnyValue` message (the reader already inside it) as plain JSON: string, boolean, number
 * (double), decimal string (int64), base64 string (bytes), array, object, or null when empty.
 * `depth` is how many arrays / key-value lists already enclose it; a container that would be more
 * than `maxValueDepth` deep is refused. A repeated container field merges into `previous` (protobuf's rule
 * for a message field seen twice); any other field replaces it (a oneof: the last one wins).
 *
 * @example
 * reader.enter(); // the length prefix of a KeyValue.value
 * const value = readAnyValue(reader, 0, context, null); // e.g. 'GET', '42', [1.5, true], { a: 'b' }
 */
export function readAnyValue(
  reader: WireReader,
  depth: number,
  context: DecodeContext,
  previous: OtlpValue,
): OtlpValue {
  let value = previous;
  while (!reader.atEnd()) {
    const start = reader.pos;
    const tag = reader.readTag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    // string_value_strindex (8) is for profiles only; OTLP says other signals treat it as absent,
    // which skipping it as an unknown field does.
    const expected = EXPECTED_WIRE_TYPE[field];
    if (expected === undefined) {
      reader.skip(wireType);
      continue;
    }
    if (wireType !== expected) throw wrongWireType(field, wireType, expected, start);
    if (field === 1) value = reader.readString();
    else if (field === 2) value = reader.readBool();
    else if (field === 3) value = reader.readInt64();
    else if (field === 4) value = reader.readDouble();
    else if (field === 7) value = base64(reader.readBytes());
    else {
      const maxDepth = context.limits.maxValueDepth;
      if (depth >= maxDepth) {
        throw new ProtobufDecodeError(`values nested deeper than maxValueDepth (${maxDepth})`, start);
      }
      countMessage(context, start);
      const outer = reader.enter();
      if (field === 5) value = readArrayValue(reader, depth + 1, context, Array.isArray(value) ? value : []);
      else value = readKeyValueList(reader, depth + 1, context, isObject(value) ? value : {});
      reader.leave(outer);
    }
  }
  return value;
}

/**
 * Reads one `KeyValue` message (the reader already inside it) into `target`. `depth` is the depth of
 * the list that holds it (0 for a span's, a resource's... attributes). A key seen twice keeps its
 * last value: OTLP forbids duplicates and leaves the outcome open.
 *
 * @example
 * const attributes = {};
 * reader.enter(); // the length prefix of one Span.attributes entry
 * readKeyValue(reader, attributes, 0, context); // attributes is now e.g. { 'http.method': 'GET' }
 */
export function readKeyValue(reader: WireReader, target: OtlpAttributes, depth: number, context: DecodeContext): void {
  let key: string | undefined;
  let value: OtlpValue = null;
  try {
    while (!reader.atEnd()) {
      const start = reader.pos;
      const tag = reader.readTag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      // key_strindex (3) is for profiles only: skipped like any unknown field, as OTLP asks.
      if (field !== 1 && field !== 2) reader.skip(wireType);
      else if (wireType !== WireType.LEN) throw wrongWireType(field, wireType, WireType.LEN, start);
      else if (field === 1) key = reader.readString();
      else {
        countMessage(context, start);
        const outer = reader.enter();
        value = readAnyValue(reader, depth, context, value);
        reader.leave(outer);
      }
    }
  } catch (error) {
    throw atPath(error, key === undefined ? '[?]' : `[${JSON.stringify(key)}]`);
  }
  setEntry(target, key ?? '', value);
}

/**
 * Adds `segment` (`spans[2]`, `traceId`, `["http.method"]`) in front of a decode error's path as it
 * passes up through a decoder; any other error goes on unchanged.
 *
 * @example
 * try { readSpan(reader) } catch (error) { throw atPath(error, `spans[${index}]`) }
 */
export function atPath(error: unknown, segment: string): unknown {
  if (error instanceof ProtobufDecodeError) error.path.unshift(segment);
  return error;
}

/**
 * The error for a known field sent with another wire type than its declared one. protobuf's own
 * parsers keep such a field as unknown; here it is refused, because keeping it as unknown would drop
 * data the sender meant to send without telling it (the pipeline refuses rather than drops).
 *
 * @example
 * if (wireType !== WireType.LEN) throw wrongWireType(5, wireType, WireType.LEN, start);
 */
export function wrongWireType(field: number, wireType: number, expected: number, offset: number): ProtobufDecodeError {
  return new ProtobufDecodeError(`field ${field} has wire type ${wireType}, not ${expected}`, offset);
}

/**
 * Sets `key` on a JSON object as an own property, `__proto__` included (plain assignment would set
 * the object's prototype instead), the way `JSON.parse` does.
 *
 * @example
 * setEntry(attributes, '__proto__', 'x'); // Object.keys(attributes) includes '__proto__'
 */
export function setEntry(target: Record<string, OtlpValue>, key: string, value: OtlpValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}

// AnyValue's fields and their wire types: 1 string, 2 bool, 3 int64, 4 double, 5 ArrayValue,
// 6 KeyValueList, 7 bytes.
const EXPECTED_WIRE_TYPE: Readonly<Record<number, number>> = {
  1: WireType.LEN,
  2: WireType.VARINT,
  3: WireType.VARINT,
  4: WireType.I64,
  5: WireType.LEN,
  6: WireType.LEN,
  7: WireType.LEN,
};

/** `ArrayValue { repeated AnyValue values = 1; }` */
function readArrayValue(reader: WireReader, depth: number, context: DecodeContext, target: OtlpValue[]): OtlpValue[] {
  while (!reader.atEnd()) {
    const start = reader.pos;
    const tag = reader.readTag();
    if (tag >>> 3 !== 1) {
      reader.skip(tag & 7);
      continue;
    }
    if ((tag & 7) !== WireType.LEN) throw wrongWireType(1, tag & 7, WireType.LEN, start);
    try {
      countMessage(context, start);
      const outer = reader.enter();
      target.push(readAnyValue(reader, depth, context, null));
      reader.leave(outer);
    } catch (error) {
      throw atPath(error, `[${target.length}]`);
    }
  }
  return target;
}

/** `KeyValueList { repeated KeyValue values = 1; }` */
function readKeyValueList(
  reader: WireReader,
  depth: number,
  context: DecodeContext,
  target: Record<string, OtlpValue>,
): Record<string, OtlpValue> {
  while (!reader.atEnd()) {
    const start = reader.pos;
    const tag = reader.readTag();
    if (tag >>> 3 !== 1) {
      reader.skip(tag & 7);
      continue;
    }
    if ((tag & 7) !== WireType.LEN) throw wrongWireType(1, tag & 7, WireType.LEN, start);
    countMessage(context, start);
    const outer = reader.enter();
    readKeyValue(reader, target, depth, context);
    reader.leave(outer);
  }
  return target;
}

function isObject(value: OtlpValue): value is Record<string, OtlpValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
