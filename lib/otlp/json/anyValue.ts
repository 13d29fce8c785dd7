/**
 * OTLP/JSON `AnyValue` and `KeyValue` lists → plain JSON (the model's `OtlpValue`). Recursive, but
 * only `maxDepth` containers deep: the depth is counted on the way down and a deeper one fails the
 * request before it is walked, so no body can exhaust the stack (JSON.parse itself is iterative).
 * Every AnyValue, array, key-value list and KeyValue counts against `maxMessages`, as its protobuf
 * twin's messages do.
 */
import type { OtlpAttributes, OtlpValue } from '../model';
import {
  array,
  bool,
  bytes,
  countMessages,
  double,
  fail,
  int64,
  type JsonObject,
  type Key,
  message,
  messages,
  object,
  string,
  type Walk,
  where,
} from './read';

const VARIANTS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

/**
 * One AnyValue unwrapped: string, boolean, int64 as a decimal string, double, array, key-value
 * list as an object, bytes as base64; an empty AnyValue (no variant set) is null. `depth` is how
 * many arrays / key-value lists enclose it (0 for an attribute's value or a log body); an array or
 * list that would be more than `maxDepth` deep is refused (the protobuf decoder's rule too).
 *
 * @example
 * anyValue({ arrayValue: { values: [{ intValue: 1 }] } }, 'attributes[0]', 'value', 0, walk); // ['1']
 */
export function anyValue(value: unknown, path: string, key: Key, depth: number, walk: Walk): OtlpValue {
  return unwrap(message(value, path, key, walk), path, key, depth, walk);
}

/** An AnyValue already counted (or absent: null). */
function unwrap(any: JsonObject | undefined, path: string, key: Key, depth: number, walk: Walk): OtlpValue {
  if (any === undefined) return null;
  const set = VARIANTS.filter((name) => any[name] !== undefined && any[name] !== null);
  if (set.length > 1) fail(path, key, `holds ${set.join(' and ')}; an AnyValue holds one value`);
  const at = where(path, key);
  const variant = set[0];
  const inner = variant === undefined ? undefined : any[variant];
  if ((variant === 'arrayValue' || variant === 'kvlistValue') && depth >= walk.maxDepth)
    fail(path, key, `arrays and key-value lists are nested more than ${walk.maxDepth} deep`);
  switch (variant) {
    case 'stringValue':
      return string(inner, at, variant) ?? null;
    case 'boolValue':
      return bool(inner, at, variant) ?? null;
    case 'intValue':
      return int64(inner, at, variant, true) ?? null;
    case 'doubleValue':
      return double(inner, at, variant) ?? null;
    case 'bytesValue':
      return bytes(inner, at, variant) ?? null;
    case 'arrayValue': {
      const values = message(inner, at, variant, walk)?.values;
      const valuesAt = where(at, variant);
      const list = array(values, valuesAt, 'values');
      const listAt = where(valuesAt, 'values');
      // Counted all at once, before any is read; a null element too, since it stands for the empty
      // AnyValue message that protobuf would have to send in its place.
      countMessages(walk, list.length, valuesAt, 'values');
      return list.map((element, index) => unwrap(object(element, listAt, index), listAt, index, depth + 1, walk));
    }
    case 'kvlistValue':
      return keyValues(message(inner, at, variant, walk)?.values, where(at, variant), 'values', depth + 1, walk);
    default:
      return null;
  }
}

/**
 * A repeated `KeyValue` (attributes, a kvlist) → an object. A key given twice: the last wins, as
 * in a JSON object. Object.fromEntries defines own properties, so a key "__proto__" stays a key.
 *
 * @example
 * keyValues([{ key: 'a', value: { stringValue: 'x' } }], 'spans[0]', 'attributes', 0, walk); // { a: 'x' }
 */
export function keyValues(value: unknown, path: string, key: Key, depth: number, walk: Walk): OtlpAttributes {
  return Object.fromEntries(
    messages(value, path, key, walk, (entry, at) => [
      string(entry.key, at, 'key') ?? '',
      anyValue(entry.value, at, 'value', depth, walk),
    ]),
  );
}
