/**
 * A local stand-in for API Gateway's HTTP API: turns `node:http` requests into payload-format 2.0
 * events for the real handlers and their structured results back into responses. Routes are the
 * ones `serverless.yml` declares (`POST /telemetry`, `GET /telemetry/{eventId}`, ...); a route
 * without path parameters wins over one with, as API Gateway's most specific match does.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext } from '../../emulator/src';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  method: string;
  /** API Gateway path template, e.g. `/telemetry/{eventId}`. */
  path: string;
  functionName: string;
  handler: HttpHandler;
  timeoutMs: number;
}

/** API Gateway refuses bodies over 10 MB before Lambda sees them. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

interface CompiledRoute extends Route {
  pattern: RegExp;
  params: string[];
}

function compile(route: Route): CompiledRoute {
  const params: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}$`), params };
}

function isTextual(contentType: string | undefined, encoding: string | undefined): boolean {
  // API Gateway base64-encodes bodies it does not know to be text; compressed bodies never are.
  if (encoding && encoding !== 'identity') return false;
  return !contentType || /^(text\/|application\/(json|x-ndjson|jsonl|x-www-form-urlencoded|xml))/i.test(contentType);
}

function toEvent(
  request: http.IncomingMessage,
  body: Buffer,
  route: CompiledRoute,
  match: RegExpExecArray,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = headers.cookie ? headers.cookie.split(';').map((c) => c.trim()) : undefined;
  const pathParameters = Object.fromEntries(
    route.params.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]),
  );
  const textual = isTextual(headers['content-type'], headers['content-encoding']);
  const now = new Date();
  const queryStringParameters = url.searchParams.size ? Object.fromEntries(url.searchParams) : undefined;
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(route.params.length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

function send(response: http.ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: http.OutgoingHttpHeaders = { ...(result.headers as http.OutgoingHttpHeaders | undefined) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

function sendJson(response: http.ServerResponse, statusCode: number, body: object): void {
  send(response, { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export interface HttpApiServer {
  url: string;
  close(): Promise<void>;
}

/**
 * @example
 * const api = await startHttpApi([{ method: 'POST', path: '/telemetry', functionName: 'ingest', handler, timeoutMs: 10_000 }], 3000);
 */
export async function startHttpApi(
  routes: readonly Route[],
  port: number,
  onRequest?: (route: string, status: number) => void,
): Promise<HttpApiServer> {
  // API Gateway picks the most specific route: `/telemetry/stats` before `/telemetry/{eventId}`.
  const compiled = routes.map(compile).sort((a, b) => a.params.length - b.params.length);
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > API_GATEWAY_MAX_BODY && !refused) {
        refused = true;
        sendJson(response, 413, { message: 'Request Entity Too Large' });
        request.destroy();
      } else if (!refused) chunks.push(chunk);
    });
    request.on('end', () => {
      if (refused) return;
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      let route: CompiledRoute | undefined;
      let match: RegExpExecArray | null = null;
      for (const candidate of compiled) {
        match = candidate.method === request.method ? candidate.pattern.exec(path) : null;
        if (match) {
          route = candidate;
          break;
        }
      }
      if (!route || !match) {
        sendJson(response, 404, { message: 'Not Found' });
        return;
      }
      const event = toEvent(request, Buffer.concat(chunks), route, match);
      const context = lambdaContext(route.functionName, route.timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<APIGatewayProxyStructuredResultV2>((resolve) => {
        // API Gateway answers 503 when the integration times out; a crash is a 500.
        timer = setTimeout(
          () => resolve({ statusCode: 503, body: JSON.stringify({ message: 'Service Unavailable' }) }),
          route.timeoutMs,
        );
      });
      Promise.race([route.handler(event, context), timeout])
        .catch(() => ({
          statusCode: 500,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'Internal Server Error' }),
        }))
        .then((result) => {
          clearTimeout(timer);
          onRequest?.(`${route.method} ${route.path}`, result.statusCode ?? 200);
          send(response, result);
        });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
