/**
 * Which OTLP/HTTP encoding a request uses, from its `Content-Type`: binary protobuf or JSON. The
 * answer is given in the same encoding (OTLP/HTTP: "the response MUST use the same Content-Type as
 * the request").
 */
export type OtlpEncoding = 'protobuf' | 'json';

export const OTLP_CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/**
 * @example
 * otlpEncoding('application/x-protobuf'); // 'protobuf'
 * otlpEncoding('text/plain'); // undefined
 */
export function otlpEncoding(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === OTLP_CONTENT_TYPES.protobuf) return 'protobuf';
  if (type === OTLP_CONTENT_TYPES.json) return 'json';
  return undefined;
}
