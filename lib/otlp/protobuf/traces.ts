/**
 * `ExportTraceServiceRequest` (opentelemetry/proto/collector/trace/v1/trace_service.proto) and the
 * messages under it (opentelemetry/proto/trace/v1/trace.proto), field numbers as the .proto has them.
 */
import { INSTRUMENTATION_SCOPE, RESOURCE } from './common';
import type { MessageSpec } from './messageSpec';

/**
 * `Status`: field 1 is reserved. Span.status is a message, so it has presence: sent, it is kept even
 * when unset (`{}`: its `code` 0 has no presence, so it is absent like any default).
 */
const STATUS: MessageSpec = {
  create: () => ({}),
  fields: {
    2: { name: 'message', type: 'string' },
    3: { name: 'code', type: 'enum' },
  },
};

/** `Span.Event`. */
const SPAN_EVENT: MessageSpec = {
  create: () => ({ timeUnixNano: '0', name: '' }),
  fields: {
    1: { name: 'timeUnixNano', type: 'fixed64' },
    2: { name: 'name', type: 'string' },
    3: { name: 'attributes', type: 'attributes' },
    4: { name: 'droppedAttributesCount', type: 'uint32' },
  },
};

/** `Span.Link`. */
const SPAN_LINK: MessageSpec = {
  create: () => ({ traceId: '', spanId: '' }),
  fields: {
    1: { name: 'traceId', type: 'traceId' },
    2: { name: 'spanId', type: 'spanId' },
    3: { name: 'traceState', type: 'string' },
    4: { name: 'attributes', type: 'attributes' },
    5: { name: 'droppedAttributesCount', type: 'uint32' },
    6: { name: 'flags', type: 'fixed32' },
  },
};

/** `Span`. */
const SPAN: MessageSpec = {
  create: () => ({ traceId: '', spanId: '', name: '', startTimeUnixNano: '0', endTimeUnixNano: '0' }),
  fields: {
    1: { name: 'traceId', type: 'traceId' },
    2: { name: 'spanId', type: 'spanId' },
    3: { name: 'traceState', type: 'string' },
    4: { name: 'parentSpanId', type: 'spanId' },
    5: { name: 'name', type: 'string' },
    6: { name: 'kind', type: 'enum' },
    7: { name: 'startTimeUnixNano', type: 'fixed64' },
    8: { name: 'endTimeUnixNano', type: 'fixed64' },
    9: { name: 'attributes', type: 'attributes' },
    10: { name: 'droppedAttributesCount', type: 'uint32' },
    11: { name: 'events', type: 'messages', message: SPAN_EVENT },
    12: { name: 'droppedEventsCount', type: 'uint32' },
    13: { name: 'links', type: 'messages', message: SPAN_LINK },
    14: { name: 'droppedLinksCount', type: 'uint32' },
    15: { name: 'status', type: 'message', message: STATUS },
    16: { name: 'flags', type: 'fixed32' },
  },
};

/** `ScopeSpans`. */
const SCOPE_SPANS: MessageSpec = {
  create: () => ({ scope: INSTRUMENTATION_SCOPE.create(), spans: [] }),
  fields: {
    1: { name: 'scope', type: 'message', message: INSTRUMENTATION_SCOPE },
    2: { name: 'spans', type: 'messages', message: SPAN, item: true },
    3: { name: 'schemaUrl', type: 'string' },
  },
};

/** `ResourceSpans`. */
const RESOURCE_SPANS: MessageSpec = {
  create: () => ({ resource: RESOURCE.create(), scopeSpans: [] }),
  fields: {
    1: { name: 'resource', type: 'message', message: RESOURCE },
    2: { name: 'scopeSpans', type: 'messages', message: SCOPE_SPANS },
    3: { name: 'schemaUrl', type: 'string' },
  },
};

/** `ExportTraceServiceRequest`, read into an `OtlpTracesRequest`. */
export const EXPORT_TRACE_SERVICE_REQUEST: MessageSpec = {
  create: () => ({ signal: 'traces', resourceSpans: [] }),
  fields: {
    1: { name: 'resourceSpans', type: 'messages', message: RESOURCE_SPANS },
  },
};
