/**
 * The API key a request presents: `x-api-key`, or `Authorization: Bearer <key>`, which is what
 * OpenTelemetry exporters' header settings (`OTEL_EXPORTER_OTLP_HEADERS`) and most agents make easy.
 * When both are sent, `x-api-key` is the one checked; a blank one counts as not sent.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { headerValue } from '../http/headers';

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * @example
 * requestApiKey({ headers: { authorization: 'Bearer tp_abc' } }); // 'tp_abc'
 */
export function requestApiKey(event: Pick<APIGatewayProxyEventV2, 'headers'>): string | undefined {
  const direct = headerValue(event, 'x-api-key');
  if (direct !== undefined && direct.trim() !== '') return direct;
  const authorization = headerValue(event, 'authorization');
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}
