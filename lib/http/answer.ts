/**
 * HTTP answers for API Gateway (HTTP API, payload v2). Every answer of this API's own routes is
 * JSON, errors included, so a client can always parse what it gets back and switch on a stable
 * `code`; the OTLP routes answer in OTLP's encodings (lib/otlp/answers.ts).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** What the handlers return to API Gateway: always a status, a JSON body and string headers. */
export type HttpAnswer = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/**
 * A JSON answer with `content-type: application/json`.
 *
 * @example
 * return jsonAnswer(202, { accepted: 1 }, { location: '/telemetry/0190...' });
 */
export function jsonAnswer(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
