/**
 * Gzip decompression that stops as soon as the output passes a limit, so a small body that would
 * inflate to gigabytes (a gzip bomb) costs at most `limit` plus one chunk of memory and work.
 */
import { createGunzip } from 'node:zlib';

/** Output is produced and counted in pieces of this size: the most inflated past the limit. */
export const GUNZIP_CHUNK_BYTES = 64 * 1024;

export type GunzipResult =
  | { ok: true; data: Buffer }
  | { ok: false; reason: 'too-large'; inflatedBytes: number }
  | { ok: false; reason: 'corrupt'; message: string };

/**
 * Never rejects: every outcome, corrupt input included, is a result.
 *
 * @example
 * const result = await gunzipBounded(body, 5 * 1024 * 1024);
 * if (!result.ok && result.reason === 'too-large') return payloadTooLarge();
 */
export function gunzipBounded(input: Buffer, limit: number): Promise<GunzipResult> {
  return new Promise((resolve) => {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    const chunks: Buffer[] = [];
    let inflatedBytes = 0;
    let settled = false;
    const settle = (result: GunzipResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      inflatedBytes += chunk.length;
      if (inflatedBytes > limit) {
        settle({ ok: false, reason: 'too-large', inflatedBytes });
        // stops zlib between chunks: the rest of the input is never inflated
        gunzip.destroy();
        return;
      }
      chunks.push(chunk);
    });
    gunzip.on('error', (error: Error) => settle({ ok: false, reason: 'corrupt', message: error.message }));
    gunzip.on('end', () => settle({ ok: true, data: Buffer.concat(chunks, inflatedBytes) }));
    gunzip.end(input);
  });
}
