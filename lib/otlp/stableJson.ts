/**
 * A canonical JSON text: object keys sorted, arrays in order, no whitespace. Two values that are
 * equal as JSON give the same text, whatever order their keys were built in: what a content hash needs.
 */

/**
 * Undefined fields are left out, as JSON.stringify does; the values are JSON (no cycles, and nested
 * only as deep as the decoders allow).
 *
 * @example
 * stableJson({ b: [2, 1], a: { d: null, c: 'x' } }); // '{"a":{"c":"x","d":null},"b":[2,1]}'
 */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index += 1)
      text += `${index > 0 ? ',' : ''}${stableJson(value[index] ?? null)}`;
    return `${text}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const fields = value as Record<string, unknown>;
    let text = '';
    for (const key of Object.keys(fields).sort()) {
      if (fields[key] !== undefined)
        text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${stableJson(fields[key])}`;
    }
    return `{${text}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
