import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startHttpApi, type HttpApiServer } from '../../src/httpApi';

describe('local HTTP API adapter', () => {
  let api: HttpApiServer;
  const seen: APIGatewayProxyEventV2[] = [];
  beforeAll(async () => {
    api = await startHttpApi(
      [
        {
          method: 'POST',
          path: '/telemetry',
          functionName: 'ingest',
          timeoutMs: 1_000,
          handler: async (event, context) => {
            seen.push(event);
            return {
              statusCode: 202,
              headers: { 'content-type': 'application/json', location: '/x' },
              body: JSON.stringify({ remaining: context.getRemainingTimeInMillis() }),
            };
          },
        },
        {
          method: 'GET',
          path: '/telemetry/{eventId}',
          functionName: 'status',
          timeoutMs: 50,
          handler: async (event) => {
            if (event.pathParameters?.eventId === 'slow') await new Promise((resolve) => setTimeout(resolve, 200));
            if (event.pathParameters?.eventId === 'crash') throw new Error('boom');
            return { statusCode: 200, body: JSON.stringify(event.pathParameters) };
          },
        },
      ],
      0,
    );
  });
  afterAll(() => api.close());

  it('hands JSON bodies through as text and answers with the handler result', async () => {
    const response = await fetch(`${api.url}/telemetry?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('/x');
    const body = (await response.json()) as { remaining: number };
    expect(body.remaining).toBeGreaterThan(0);
    expect(body.remaining).toBeLessThanOrEqual(1_000);
    const event = seen.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /telemetry',
      rawPath: '/telemetry',
      rawQueryString: 'x=1',
      body: '{"a":1}',
      isBase64Encoded: false,
    });
    expect(event?.headers['x-api-key']).toBe('k');
    expect(event?.requestContext.http.method).toBe('POST');
  });

  it('base64-encodes compressed bodies, as API Gateway does', async () => {
    const gz = gzipSync('{"b":2}');
    await fetch(`${api.url}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gz,
    });
    const event = seen.at(-1);
    expect(event?.isBase64Encoded).toBe(true);
    expect(Buffer.from(event?.body ?? '', 'base64')).toEqual(gz);
  });

  it('fills path parameters, 404s unknown routes, 503s a timeout and 500s a crash', async () => {
    const ok = await fetch(`${api.url}/telemetry/abc`);
    expect(await ok.json()).toEqual({ eventId: 'abc' });
    expect((await fetch(`${api.url}/nope`)).status).toBe(404);
    expect((await fetch(`${api.url}/telemetry`)).status).toBe(404);
    expect((await fetch(`${api.url}/telemetry/slow`)).status).toBe(503);
    expect((await fetch(`${api.url}/telemetry/crash`)).status).toBe(500);
  });
});
