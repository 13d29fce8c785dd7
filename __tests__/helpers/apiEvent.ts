/**
 * Real API Gateway HTTP API (payload format 2.0) events and Lambda contexts, shaped as AWS delivers
 * them: lower-cased header names, binary bodies base64-encoded with `isBase64Encoded`, the full
 * `requestContext`. Tests hand these to the real handlers.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface ApiEventOptions {
  method?: string;
  /** The raw path, e.g. `/telemetry/0190...`. */
  path?: string;
  /** The route as configured, e.g. `GET /telemetry/{eventId}`. Default: method and path. */
  routeKey?: string;
  headers?: Record<string, string>;
  /** A Buffer is sent as API Gateway sends binary content: base64 with `isBase64Encoded: true`. */
  body?: string | Buffer;
  pathParameters?: Record<string, string>;
  queryString?: string;
}

/**
 * @example
 * const event = apiEvent({ method: 'POST', path: '/telemetry', headers: { 'x-api-key': key }, body: '{"source":"a"}' });
 */
export function apiEvent(options: ApiEventOptions = {}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/';
  const body = options.body;
  const headers: Record<string, string> = {
    accept: '*/*',
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'curl/8.5.0',
    'x-amzn-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    'x-forwarded-for': '198.51.100.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  if (body !== undefined)
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  // HTTP APIs lower-case header names; later entries (the test's) win over the defaults above
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} ${path}`,
    rawPath: path,
    rawQueryString: options.queryString ?? '',
    headers,
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID().replace(/-/g, '').slice(0, 16),
      routeKey: options.routeKey ?? `${method} ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined
      ? { isBase64Encoded: false }
      : typeof body === 'string'
        ? { body, isBase64Encoded: false }
        : { body: body.toString('base64'), isBase64Encoded: true }),
  };
}

/**
 * A `POST /telemetry` event.
 *
 * @example
 * const event = postTelemetry({ body: JSON.stringify(events), headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' } });
 */
export function postTelemetry(
  options: Omit<ApiEventOptions, 'method' | 'path' | 'routeKey'> = {},
): APIGatewayProxyEventV2 {
  return apiEvent({ ...options, method: 'POST', path: '/telemetry', routeKey: 'POST /telemetry' });
}

/**
 * A `GET /telemetry/{eventId}` event.
 *
 * @example
 * const event = getTelemetryStatus('0190b6c2-...', { 'x-api-key': TEST_API_KEY });
 */
export function getTelemetryStatus(eventId: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return apiEvent({
    method: 'GET',
    path: `/telemetry/${encodeURIComponent(eventId)}`,
    routeKey: 'GET /telemetry/{eventId}',
    headers,
    pathParameters: { eventId },
  });
}

/**
 * A Lambda context with `remainingMs` left when the handler starts.
 *
 * @example
 * await handler(event, lambdaContext(10_000));
 */
export function lambdaContext(remainingMs = 10_000, functionName = 'telemetry-test'): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * A `GET /telemetry` (query) or `GET /telemetry/stats` event with its query string, as API Gateway
 * gives it: `queryStringParameters` decoded, `rawQueryString` as sent.
 *
 * @example
 * const event = getTelemetryQuery({ source: 'checkout', limit: '100' }, { 'x-api-key': key });
 */
export function getTelemetryQuery(
  params: Record<string, string>,
  headers: Record<string, string> = {},
  route: '/telemetry' | '/telemetry/stats' = '/telemetry',
): APIGatewayProxyEventV2 {
  const queryString = new URLSearchParams(params).toString();
  const event = apiEvent({ method: 'GET', path: route, routeKey: `GET ${route}`, headers, queryString });
  return Object.keys(params).length > 0 ? { ...event, queryStringParameters: { ...params } } : event;
}
