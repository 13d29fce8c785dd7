/**
 * The HTTP handler every AWS client here uses: HTTP/1.1 with keep-alive. The Kinesis client would
 * otherwise pick an HTTP/2 handler, which kinesalite answers with "Protocol error"; we use no
 * HTTP/2-only API (SubscribeToShard), so HTTP/1.1 costs nothing in AWS either.
 */
import http from 'node:http';
import https from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * @param requestTimeoutMs - when set, a request that takes longer fails (the SDK's default is to
 *   wait for ever once connected): for calls a request waits on, such as the API key refresh.
 * @example
 * new KinesisClient({ region, requestHandler: requestHandler() });
 */
export function requestHandler(requestTimeoutMs?: number): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 50 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 50 }),
    connectionTimeout: 3_000,
    ...(requestTimeoutMs === undefined ? {} : { requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true }),
  });
}
