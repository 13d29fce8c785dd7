/**
 * Query-string parsing shared by `GET /telemetry` and `GET /telemetry/stats`: every refusal is a 400
 * with a stable code and the parameter it is about, and unknown parameters are refused (a typo such
 * as `souce=` must not silently widen a query).
 */
import type { HttpFailure } from '../http/errorAnswer';
import { MAX_SOURCE_LENGTH, MAX_TYPE_LENGTH } from '../telemetry/event';

export type Params = Readonly<Record<string, string | undefined>>;
export type Parsed<T> = { ok: true; value: T } | { ok: false; failure: HttpFailure };

/** A time parameter: ISO 8601 with a zone, as events' timestamps are given. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

export function invalid(
  parameter: string,
  message: string,
  code = 'INVALID_PARAMETER',
): { ok: false; failure: HttpFailure } {
  return { ok: false, failure: { status: 400, code, message, details: { parameter } } };
}

/** The first parameter not in `allowed`, as a refusal; undefined when all are known. */
export function unknownParameter(
  params: Params,
  allowed: readonly string[],
): { ok: false; failure: HttpFailure } | undefined {
  const unknown = Object.keys(params).find((name) => !allowed.includes(name));
  return unknown === undefined
    ? undefined
    : invalid(
        unknown,
        `unknown parameter ${JSON.stringify(unknown.slice(0, 64))}; known: ${allowed.join(', ')}`,
        'UNKNOWN_PARAMETER',
      );
}

/** `source` is required: queries and stats are per source, which is what their indexes serve. */
export function sourceParam(params: Params): Parsed<string> {
  const source = params.source;
  if (source === undefined || source === '')
    return invalid('source', 'source is required: the source whose events to list', 'SOURCE_REQUIRED');
  if (source.length > MAX_SOURCE_LENGTH)
    return invalid('source', `source must be at most ${MAX_SOURCE_LENGTH} characters`);
  return { ok: true, value: source };
}

export function typeParam(params: Params): Parsed<string | null> {
  const type = params.type;
  if (type === undefined || type === '') return { ok: true, value: null };
  if (type.length > MAX_TYPE_LENGTH) return invalid('type', `type must be at most ${MAX_TYPE_LENGTH} characters`);
  return { ok: true, value: type };
}

/** Epoch ms of an ISO 8601 time parameter, `fallback` when absent. */
export function timeParam(params: Params, name: string, fallback: number): Parsed<number> {
  const text = params[name];
  if (text === undefined || text === '') return { ok: true, value: fallback };
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    return invalid(name, `${name} must be an ISO 8601 time with a zone, such as 2026-12-01T12:00:00Z`);
  return { ok: true, value: ms };
}

export function integerParam(params: Params, name: string, fallback: number, min: number, max: number): Parsed<number> {
  const text = params[name];
  if (text === undefined || text === '') return { ok: true, value: fallback };
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max)
    return invalid(name, `${name} must be a whole number from ${min} to ${max}`);
  return { ok: true, value };
}

export function choiceParam<T extends string>(
  params: Params,
  name: string,
  choices: readonly T[],
  fallback: T,
): Parsed<T> {
  const text = params[name];
  if (text === undefined || text === '') return { ok: true, value: fallback };
  return (choices as readonly string[]).includes(text)
    ? { ok: true, value: text as T }
    : invalid(name, `${name} must be one of ${choices.join(', ')}`);
}
