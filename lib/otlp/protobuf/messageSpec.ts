/**
 * OTLP's messages as data: each `MessageSpec` lists a message's fields by number (copied from
 * opentelemetry-proto's .proto files) with the model's name for each and how it is read. One
 * generic reader (`readMessage`) walks a body with them, so the field tables in `common.ts`,
 * `traces.ts`, `logs.ts` and `metrics.ts` read like the .proto files they mirror, and every message
 * gets the same checks: wire types, id lengths, item and message counts, and error paths named by
 * field. It also applies the model's normal form (lib/otlp/model.ts): a field without presence read
 * at its proto3 default is left absent (or at its default, when the model requires it), as if it
 * had not been on the wire, which is what proto3 says it is.
 */
import type { OtlpDecodeLimits, OtlpMetricKind, OtlpValue } from '../model';
import { atPath, countMessage, readAnyValue, readKeyValue, wrongWireType } from './anyValue';
import { ProtobufDecodeError, type WireReader, WireType } from './wireReader';

/** How a scalar field is read and what it becomes in the model. */
export type ScalarType =
  /** string, UTF-8 checked */
  | 'string'
  /** uint32 → number */
  | 'uint32'
  /** enum or int32 → number */
  | 'enum'
  | 'bool'
  /** sint32 (zigzag) → number */
  | 'sint32'
  /** fixed32 → number */
  | 'fixed32'
  /** fixed64 → decimal string */
  | 'fixed64'
  /** sfixed64 → decimal string */
  | 'sfixed64'
  | 'double'
  /** bytes of length 0 or 16 → lowercase hex */
  | 'traceId'
  /** bytes of length 0 or 8 → lowercase hex */
  | 'spanId';

/** A repeated scalar, packed or not: fixed64 and uint64 → decimal strings, double → numbers. */
export type RepeatedType = 'fixed64[]' | 'uint64[]' | 'double[]';

export type FieldSpec =
  /**
   * `clears`: the other field of a oneof of scalars, which this one replaces. A oneof member, and
   * a proto3 `optional` field (`optional: true`), has presence: kept even at its default.
   */
  | { name: string; type: ScalarType; clears?: string; optional?: true }
  | { name: string; type: RepeatedType }
  /** repeated KeyValue → an object of plain values */
  | { name: string; type: 'attributes' }
  /** AnyValue → a plain value; an empty AnyValue (null) leaves the field absent (model.ts says why) */
  | { name: string; type: 'anyValue' }
  /** an embedded message; seen twice, the second merges into the first */
  | { name: string; type: 'message'; message: MessageSpec }
  /** repeated embedded message; `item` ones (spans, log records, data points) count against maxItems */
  | { name: string; type: 'messages'; message: MessageSpec; item?: boolean }
  /**
   * One case of Metric's `data` oneof (gauge, sum, ...): its fields are read into the metric itself
   * (`dataPoints`, `aggregationTemporality`, `isMonotonic`) and `kind` names the case.
   */
  | { name: OtlpMetricKind; type: 'metricData'; message: MessageSpec };

export interface MessageSpec {
  /** A new, empty message: the fields the model requires, at their proto3 defaults. */
  create: () => Record<string, unknown>;
  fields: Readonly<Record<number, FieldSpec>>;
}

/** What one decode carries from message to message. */
export interface DecodeContext {
  limits: OtlpDecodeLimits;
  /** Spans, log records and data points read so far. */
  items: number;
  /** Embedded messages read so far, of any kind (`maxMessages`). */
  messages: number;
}

/**
 * Reads the message the reader is in, up to its end, into `target` (protobuf's merge: scalars
 * overwrite, repeated fields append, embedded messages merge). Unknown fields are skipped.
 *
 * @example
 * const request = EXPORT_TRACE_SERVICE_REQUEST.create();
 * readMessage(new WireReader(body), EXPORT_TRACE_SERVICE_REQUEST, request, { limits, items: 0, messages: 0 });
 */
export function readMessage(
  reader: WireReader,
  spec: MessageSpec,
  target: Record<string, unknown>,
  context: DecodeContext,
): void {
  while (!reader.atEnd()) {
    const start = reader.pos;
    const tag = reader.readTag();
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    const field = spec.fields[fieldNumber];
    if (field === undefined) {
      try {
        reader.skip(wireType);
      } catch (error) {
        throw atPath(error, `(field ${fieldNumber})`);
      }
      continue;
    }
    try {
      readField(reader, spec, field, fieldNumber, wireType, start, target, context);
    } catch (error) {
      throw atPath(
        error,
        field.type === 'messages' ? `${field.name}[${listOf(target, field.name).length}]` : field.name,
      );
    }
  }
}

function readField(
  reader: WireReader,
  spec: MessageSpec,
  field: FieldSpec,
  fieldNumber: number,
  wireType: number,
  start: number,
  target: Record<string, unknown>,
  context: DecodeContext,
): void {
  const name = field.name;
  if (isRepeated(field)) {
    const list = listOf(target, name);
    readRepeated(reader, field.type, fieldNumber, wireType, start, list);
    // An empty packed run adds nothing; a list still empty after it is the default, absent.
    if (list.length === 0) delete target[name];
    return;
  }
  const expected = WIRE_TYPE[field.type];
  if (wireType !== expected) throw wrongWireType(fieldNumber, wireType, expected, start);
  switch (field.type) {
    case 'attributes': {
      // Counted before anything is made for it, as every message below.
      countMessage(context, start);
      const outer = reader.enter();
      readKeyValue(reader, objectOf(target, name), 0, context);
      reader.leave(outer);
      return;
    }
    case 'anyValue': {
      countMessage(context, start);
      const outer = reader.enter();
      const value = readAnyValue(reader, 0, context, (target[name] ?? null) as OtlpValue);
      reader.leave(outer);
      if (value === null) delete target[name];
      else target[name] = value;
      return;
    }
    case 'message': {
      countMessage(context, start);
      const message = (target[name] ?? field.message.create()) as Record<string, unknown>;
      const outer = reader.enter();
      readMessage(reader, field.message, message, context);
      reader.leave(outer);
      target[name] = message;
      return;
    }
    case 'messages': {
      // Counted before the item is read, so a body of a million empty spans stops at the limit.
      if (field.item && ++context.items > context.limits.maxItems) {
        throw new ProtobufDecodeError(
          `more than maxItems (${context.limits.maxItems}) spans, log records and data points`,
          start,
        );
      }
      countMessage(context, start);
      const message = field.message.create();
      const outer = reader.enter();
      readMessage(reader, field.message, message, context);
      reader.leave(outer);
      listOf(target, name).push(message);
      return;
    }
    case 'metricData': {
      countMessage(context, start);
      // A oneof: another case seen later replaces this one (its points and settings go with it).
      if (target.kind !== name) {
        target.kind = name;
        target.dataPoints = [];
        delete target.aggregationTemporality;
        delete target.isMonotonic;
      }
      const outer = reader.enter();
      readMessage(reader, field.message, target, context);
      reader.leave(outer);
      return;
    }
    default: {
      const value = readScalar(reader, field.type);
      if (field.clears !== undefined) delete target[field.clears];
      // The last value on the wire wins, a default one too: it then unsets what came before it.
      if (
        field.clears !== undefined ||
        field.optional ||
        !isDefault(field.type, value) ||
        requiredFields(spec).has(name)
      )
        target[name] = value;
      else delete target[name];
    }
  }
}

/**
 * A scalar at its proto3 default, by its type: a string "0" is a value, a fixed64 '0' is not. 0 for
 * doubles is +0 only: protobuf's serializers compare bits, so -0 goes on the wire as a value.
 */
function isDefault(type: ScalarType, value: unknown): boolean {
  switch (type) {
    case 'string':
    case 'traceId':
    case 'spanId':
      return value === '';
    case 'fixed64':
    case 'sfixed64':
      return value === '0';
    case 'bool':
      return value === false;
    default:
      return Object.is(value, 0);
  }
}

// Which fields each message's `create()` fills: the model requires them, so a default read for one
// is set, not deleted. Worked out once per message, not per field read.
const REQUIRED = new WeakMap<MessageSpec, ReadonlySet<string>>();

function requiredFields(spec: MessageSpec): ReadonlySet<string> {
  let required = REQUIRED.get(spec);
  if (required === undefined) {
    required = new Set(Object.keys(spec.create()));
    REQUIRED.set(spec, required);
  }
  return required;
}

function isRepeated(field: FieldSpec): field is Extract<FieldSpec, { type: RepeatedType }> {
  return field.type === 'fixed64[]' || field.type === 'uint64[]' || field.type === 'double[]';
}

function readScalar(reader: WireReader, type: ScalarType): unknown {
  switch (type) {
    case 'string':
      return reader.readString();
    case 'uint32':
      return reader.readUint32();
    case 'enum':
      return reader.readInt32();
    case 'bool':
      return reader.readBool();
    case 'sint32':
      return reader.readSint32();
    case 'fixed32':
      return reader.readFixed32();
    case 'fixed64':
      return reader.readFixed64();
    case 'sfixed64':
      return reader.readSfixed64();
    case 'double':
      return reader.readDouble();
    case 'traceId':
      return readId(reader, 16);
    case 'spanId':
      return readId(reader, 8);
  }
}

const WIRE_TYPE: Readonly<Record<Exclude<FieldSpec['type'], RepeatedType>, number>> = {
  string: WireType.LEN,
  uint32: WireType.VARINT,
  enum: WireType.VARINT,
  bool: WireType.VARINT,
  sint32: WireType.VARINT,
  fixed32: WireType.I32,
  fixed64: WireType.I64,
  sfixed64: WireType.I64,
  double: WireType.I64,
  traceId: WireType.LEN,
  spanId: WireType.LEN,
  attributes: WireType.LEN,
  anyValue: WireType.LEN,
  message: WireType.LEN,
  messages: WireType.LEN,
  metricData: WireType.LEN,
};

/**
 * A repeated scalar: one value with the scalar's own wire type, or a packed run of them in one
 * length-delimited field. proto3 writers pack, but a parser must take both.
 */
function readRepeated(
  reader: WireReader,
  type: RepeatedType,
  fieldNumber: number,
  wireType: number,
  start: number,
  list: unknown[],
): void {
  const scalarWireType = type === 'uint64[]' ? WireType.VARINT : WireType.I64;
  const read =
    type === 'fixed64[]'
      ? () => reader.readFixed64()
      : type === 'uint64[]'
        ? () => reader.readUint64()
        : () => reader.readDouble();
  if (wireType === scalarWireType) {
    list.push(read());
    return;
  }
  if (wireType !== WireType.LEN) throw wrongWireType(fieldNumber, wireType, scalarWireType, start);
  const outer = reader.enter();
  // A packed run of 8-byte values must fill its length exactly: a ragged end is a broken body,
  // not a truncated last value to report in the middle of the run.
  if (scalarWireType === WireType.I64 && reader.remaining() % 8 !== 0) {
    throw new ProtobufDecodeError(`packed field of ${reader.remaining()} bytes is not a multiple of 8`, start);
  }
  while (!reader.atEnd()) list.push(read());
  reader.leave(outer);
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** A trace or span id: empty, or exactly `size` bytes, as lowercase hex. */
function readId(reader: WireReader, size: number): string {
  const bytes = reader.readBytes();
  if (bytes.length !== 0 && bytes.length !== size) {
    throw new ProtobufDecodeError(`${bytes.length} bytes, not ${size}`, reader.pos - bytes.length);
  }
  let hex = '';
  for (const byte of bytes) hex += HEX[byte];
  return hex;
}

function listOf<T>(target: Record<string, unknown>, name: string): T[] {
  return (target[name] ??= []) as T[];
}

function objectOf(target: Record<string, unknown>, name: string): Record<string, OtlpValue> {
  return (target[name] ??= {}) as Record<string, OtlpValue>;
}
