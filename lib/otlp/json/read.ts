/**
 * Readers for the scalar fields of OTLP/JSON (the proto3 JSON mapping as OTLP amends it,
 * opentelemetry-proto docs/specification.md "JSON Protobuf Encoding"). Each takes the raw value,
 * where it sits (`path` and `key`, joined only when there is something to report) and returns the
 * model's form, or undefined for an absent field: proto3 JSON reads `null` as absent too.
 */
import { isPlainObject } from '../../errors';

/** The one way out of a deep walk; only decodeOtlpJson catches it. */
export class OtlpJsonError extends Error {}

export type JsonObject = Record<string, unknown>;
export type Key = string | number;

/** What a walk carries: the limits, and how many items and messages it has met so far. */
export interface Walk {
  maxDepth: number;
  maxItems: number;
  items: number;
  maxMessages: number;
  /** Objects standing for an embedded message, counted as the protobuf decoder counts messages. */
  messages: number;
}

/**
 * Counts `count` embedded messages against `maxMessages`, before any of them is read: JSON.parse
 * has made them already, but the model made from them would be several times larger still.
 *
 * @example
 * countMessages(walk, list.length, 'resourceSpans[0]', 'scopeSpans');
 */
export function countMessages(walk: Walk, count: number, path: string, key: Key): void {
  walk.messages += count;
  if (walk.messages > walk.maxMessages)
    fail(path, key, `more than maxMessages (${walk.maxMessages}) embedded messages`);
}

/**
 * An embedded message field: an object or absent, counted against `maxMessages` when there.
 *
 * @example
 * message({ code: 2 }, 'resourceSpans[0].scopeSpans[0].spans[0]', 'status', walk); // { code: 2 }
 */
export function message(value: unknown, path: string, key: Key, walk: Walk): JsonObject | undefined {
  const found = object(value, path, key);
  if (found !== undefined) countMessages(walk, 1, path, key);
  return found;
}

/**
 * A repeated message field, its elements counted against `maxMessages` before any is read.
 *
 * @example
 * messages([{ name: 'a' }], 'spans[0]', 'events', walk, (event) => String(event.name)); // ['a']
 */
export function messages<T>(
  value: unknown,
  path: string,
  key: Key,
  walk: Walk,
  read: (element: JsonObject, at: string) => T,
): T[] {
  const list = array(value, path, key);
  countMessages(walk, list.length, path, key);
  return objects(list, path, key, read);
}

/**
 * @example
 * where('resourceSpans[0]', 'scopeSpans'); // 'resourceSpans[0].scopeSpans'
 * where('resourceSpans', 0); // 'resourceSpans[0]'
 */
export function where(path: string, key: Key): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * @example
 * fail('spans[3]', 'traceId', 'must be 32 hex digits'); // throws OtlpJsonError('spans[3].traceId: must be ...')
 */
export function fail(path: string, key: Key, problem: string): never {
  throw new OtlpJsonError(`${where(path, key)}: ${problem}`);
}

/**
 * @example
 * object({ a: 1 }, '', 'resource'); // { a: 1 }
 */
export function object(value: unknown, path: string, key: Key): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) fail(path, key, 'must be an object');
  return value;
}

/**
 * A repeated message field: each element must be an object. Absent is empty.
 *
 * @example
 * objects([{ name: 'a' }], 'scopeSpans[0]', 'spans', (span, at) => String(span.name)); // ['a']
 */
export function objects<T>(value: unknown, path: string, key: Key, read: (element: JsonObject, at: string) => T): T[] {
  const list = array(value, path, key);
  if (list.length === 0) return [];
  const at = where(path, key);
  return list.map((element, index) =>
    read(object(element, at, index) ?? fail(at, index, 'must be an object'), where(at, index)),
  );
}

/**
 * @example
 * array(null, '', 'spans'); // []
 */
export function array(value: unknown, path: string, key: Key): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, key, 'must be an array');
  return value;
}

/**
 * @example
 * string('GET /', 'spans[0]', 'name'); // 'GET /'
 */
export function string(value: unknown, path: string, key: Key): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(path, key, 'must be a string');
  return value;
}

/**
 * @example
 * bool(true, 'metrics[0].sum', 'isMonotonic'); // true
 */
export function bool(value: unknown, path: string, key: Key): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') fail(path, key, 'must be true or false');
  return value;
}

/**
 * A value as a message quotes it: short, and never by walking it (a hostile one may be nested
 * deeper than JSON.stringify's recursion goes).
 *
 * @example
 * shown('x'.repeat(100)); // '"xxxx...' (40 characters and an ellipsis)
 */
export function shown(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}...` : JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}

const DECIMAL = /^-?\d{1,20}$/;
const INT64 = { signed: [-(2n ** 63n), 2n ** 63n - 1n], unsigned: [0n, 2n ** 64n - 1n] } as const;

function integer(
  value: unknown,
  path: string,
  key: Key,
  range: readonly [bigint, bigint],
  bits: string,
): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  let parsed: bigint | undefined;
  // proto3 JSON: integers as numbers or decimal strings, either accepted for any width
  if (typeof value === 'number' && Number.isInteger(value)) parsed = BigInt(value);
  else if (typeof value === 'string' && DECIMAL.test(value)) parsed = BigInt(value);
  if (parsed === undefined || parsed < range[0] || parsed > range[1])
    fail(path, key, `must be ${bits} integer (a number or a decimal string), not ${shown(value)}`);
  return parsed;
}

/**
 * A 64-bit integer as the model holds it: a canonical decimal string. A JSON number above 2^53
 * has already lost precision in JSON.parse (senders write strings, as proto3 JSON says they should).
 *
 * @example
 * int64('1714564800000000000', 'spans[0]', 'startTimeUnixNano'); // '1714564800000000000'
 * int64(-5, 'attributes[0].value', 'intValue', true); // '-5'
 * int64('0', 'logRecords[0]', 'timeUnixNano', false, true); // undefined: see uint64OrAbsent
 */
export function int64(
  value: unknown,
  path: string,
  key: Key,
  signed = false,
  zeroIsAbsent = false,
): string | undefined {
  const range = signed ? INT64.signed : INT64.unsigned;
  const parsed = integer(value, path, key, range, signed ? 'a signed 64-bit' : 'an unsigned 64-bit');
  return parsed === 0n && zeroIsAbsent ? undefined : parsed?.toString();
}

/**
 * An unsigned 64-bit field without presence: 0, its default, is absent (see `nonDefault`).
 *
 * @example
 * uint64OrAbsent('0', 'logRecords[0]', 'timeUnixNano'); // undefined
 */
export function uint64OrAbsent(value: unknown, path: string, key: Key): string | undefined {
  return int64(value, path, key, false, true);
}

/**
 * A 32-bit integer (uint32, fixed32, sint32) as a number.
 *
 * @example
 * int32(257, 'spans[0]', 'flags'); // 257
 * int32(-3, 'dataPoints[0]', 'scale', true); // -3
 */
export function int32(value: unknown, path: string, key: Key, signed = false): number | undefined {
  const range: [bigint, bigint] = signed ? [-(2n ** 31n), 2n ** 31n - 1n] : [0n, 2n ** 32n - 1n];
  const parsed = integer(value, path, key, range, signed ? 'a signed 32-bit' : 'an unsigned 32-bit');
  return parsed === undefined ? undefined : Number(parsed);
}

const SPECIAL_DOUBLES = new Map([
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
]);
const DECIMAL_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A double: a JSON number, or a string (proto3 JSON: "NaN", "Infinity", "-Infinity" or a number
 * in a string). The model keeps NaN and the infinities as numbers, as the protobuf decoder does;
 * the mapping to events writes them as strings (JSON has no such numbers).
 *
 * @example
 * double('NaN', 'dataPoints[0]', 'asDouble'); // NaN
 */
export function double(value: unknown, path: string, key: Key): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const special = SPECIAL_DOUBLES.get(value);
    if (special !== undefined) return special;
    if (DECIMAL_NUMBER.test(value)) return Number(value);
  }
  return fail(path, key, `must be a number, "NaN", "Infinity" or "-Infinity", not ${shown(value)}`);
}

/**
 * An enum. OTLP/JSON says senders MUST write enums as integers ("the enum name strings MUST NOT be
 * used"), but says nothing of receivers; the Collector's own decoder (pdata `ReadEnumValue`) takes
 * the names as well, as plain proto3 JSON does, so a known name is read as its number here too.
 * An unknown name is refused; an unknown number is kept (proto3 enums are open).
 *
 * @example
 * enumValue('SPAN_KIND_SERVER', 'spans[0]', 'kind', SPAN_KINDS); // 2
 */
export function enumValue(value: unknown, path: string, key: Key, names: readonly string[]): number | undefined {
  if (typeof value === 'string' && !DECIMAL.test(value)) {
    const index = names.indexOf(value);
    return index >= 0
      ? index
      : fail(path, key, `unknown name ${shown(value)}; expected a number or ${names.join(', ')}`);
  }
  return int32(value, path, key, true);
}

const HEX = /^[0-9a-fA-F]*$/;

/**
 * A trace or span id: case-insensitive hex (OTLP/JSON's deviation from proto3 JSON, which would
 * use base64) of `bytes` bytes, or empty; returned in lowercase, '' when absent.
 *
 * @example
 * hexId('5B8EFFF798038103D269B633813FC60C', 'spans[0]', 'traceId', 16); // '5b8efff798038103d269b633813fc60c'
 */
export function hexId(value: unknown, path: string, key: Key, bytes: 8 | 16): string {
  const text = string(value, path, key) ?? '';
  if (text !== '' && (text.length !== bytes * 2 || !HEX.test(text)))
    fail(path, key, `must be ${bytes * 2} hex digits or empty, not ${shown(text)} (${text.length} characters)`);
  return text.toLowerCase();
}

const BASE64 = /^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/;

/**
 * Bytes: proto3 JSON's base64 (standard or URL-safe, padded or not), returned as standard padded
 * base64, which is what the protobuf decoder writes for the same bytes.
 *
 * @example
 * bytes('aGk', 'attributes[0].value', 'bytesValue'); // 'aGk='
 */
export function bytes(value: unknown, path: string, key: Key): string | undefined {
  const text = string(value, path, key);
  if (text === undefined) return undefined;
  if (!BASE64.test(text)) fail(path, key, 'must be base64');
  return Buffer.from(text, 'base64').toString('base64');
}

type Defined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

/**
 * Drops the fields that are absent or hold their proto3 default (0, '', false, [], {}; a 64-bit 0
 * is '0', which only `int64` knows to be a number: it returns undefined for it when asked). In
 * proto3 such a field is not on the wire, so a default and an absent field are the same message:
 * dropping them makes a JSON body decode exactly as its protobuf twin does. 0 is +0 only: -0 is a
 * double's value, which protobuf's serializers put on the wire (they compare bits).
 *
 * @example
 * nonDefault({ kind: 0, name: 'a', links: [] }); // { name: 'a' }
 */
export function nonDefault<T extends object>(fields: T): Partial<Defined<T>> {
  const kept: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) {
    const empty =
      value === undefined ||
      Object.is(value, 0) ||
      value === '' ||
      value === false ||
      (Array.isArray(value) ? value.length === 0 : isPlainObject(value) && Object.keys(value).length === 0);
    if (!empty) kept[key] = value;
  }
  return kept as Partial<Defined<T>>;
}

/**
 * Drops only the absent fields: for fields with presence (oneof members, `optional` fields,
 * messages), where a default value is still a value.
 *
 * @example
 * present({ asInt: '0', asDouble: undefined }); // { asInt: '0' }
 */
export function present<T extends object>(fields: T): Partial<Defined<T>> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<Defined<T>>;
}
