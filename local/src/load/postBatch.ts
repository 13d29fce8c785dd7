/**
 * One `POST /telemetry` of a JSON array, and what the answer says about each item: accepted (with
 * its eventId), rejected, or not accepted (503). Never throws: no answer is an outcome too.
 */
import type { RequestOutcome } from './stats';

export interface PostTarget {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
}

type PostOutcome = Omit<RequestOutcome, 'batch' | 'poisonIds' | 'poisonFailed'>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function length(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/** The ids in a 202 (`eventIds`) or a 503 (`accepted: [{ eventId }]`). */
function acceptedIds(body: Record<string, unknown>): string[] {
  if (Array.isArray(body.eventIds)) return body.eventIds.filter((id): id is string => typeof id === 'string');
  if (Array.isArray(body.accepted))
    return body.accepted.flatMap((item: unknown) =>
      isObject(item) && typeof item.eventId === 'string' ? [item.eventId] : [],
    );
  return [];
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  // fetch says only "fetch failed"; the reason (ECONNREFUSED, ...) is in its cause.
  return cause instanceof Error
    ? `${error.message}: ${cause.message}`
    : error.name === 'TimeoutError'
      ? 'no answer before the request timeout'
      : error.message;
}

/**
 * @example
 * const outcome = await postBatch({ apiUrl, apiKey, timeoutMs: 30_000 }, items, 2);
 * outcome.status;      // 202
 * outcome.acceptedIds; // ['0190...', ...]
 */
export async function postBatch(
  target: PostTarget,
  items: readonly unknown[],
  malformed: number,
): Promise<PostOutcome> {
  const sentAt = Date.now();
  const base = { sentAt, items: items.length, malformed, acceptedIds: [] as string[], rejected: 0, notAccepted: 0 };
  let status: number;
  let text: string;
  try {
    const response = await fetch(`${target.apiUrl.replace(/\/+$/, '')}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': target.apiKey },
      body: JSON.stringify(items),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    return { ...base, latencyMs: Date.now() - sentAt, status: 0, error: describe(error) };
  }
  const latencyMs = Date.now() - sentAt;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ...base, latencyMs, status, error: `HTTP ${status} with a body that is not JSON: ${text.slice(0, 120)}` };
  }
  if (!isObject(body))
    return { ...base, latencyMs, status, error: `HTTP ${status} with a body that is not a JSON object` };
  const outcome: PostOutcome = {
    ...base,
    latencyMs,
    status,
    acceptedIds: status === 202 || status === 503 ? acceptedIds(body) : [],
    rejected: length(body.rejected),
    notAccepted: length(body.notAccepted),
  };
  if (status !== 202) outcome.error = `HTTP ${status} ${typeof body.code === 'string' ? body.code : ''}`.trim();
  return outcome;
}
