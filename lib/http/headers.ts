/**
 * Header lookup on API Gateway v2 events. HTTP APIs lower-case header names, but events built by
 * other tools (local adapters, test consoles) may not, so the lookup does not depend on it.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * The value of a request header, or undefined when it is absent. Repeated headers arrive joined
 * with commas, as API Gateway does.
 *
 * @example
 * const key = headerValue(event, 'x-api-key');
 */
export function headerValue(event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  const direct = headers[wanted];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
