/**
 * `ExportLogsServiceRequest` (opentelemetry/proto/collector/logs/v1/logs_service.proto) and the
 * messages under it (opentelemetry/proto/logs/v1/logs.proto), field numbers as the .proto has them.
 */
import { INSTRUMENTATION_SCOPE, RESOURCE } from './common';
import type { MessageSpec } from './messageSpec';

/** `LogRecord`: field 4 is reserved. An empty `body` AnyValue leaves `body` absent (model.ts says why). */
const LOG_RECORD: MessageSpec = {
  create: () => ({}),
  fields: {
    1: { name: 'timeUnixNano', type: 'fixed64' },
    11: { name: 'observedTimeUnixNano', type: 'fixed64' },
    2: { name: 'severityNumber', type: 'enum' },
    3: { name: 'severityText', type: 'string' },
    5: { name: 'body', type: 'anyValue' },
    6: { name: 'attributes', type: 'attributes' },
    7: { name: 'droppedAttributesCount', type: 'uint32' },
    8: { name: 'flags', type: 'fixed32' },
    9: { name: 'traceId', type: 'traceId' },
    10: { name: 'spanId', type: 'spanId' },
    12: { name: 'eventName', type: 'string' },
  },
};

/** `ScopeLogs`. */
const SCOPE_LOGS: MessageSpec = {
  create: () => ({ scope: INSTRUMENTATION_SCOPE.create(), logRecords: [] }),
  fields: {
    1: { name: 'scope', type: 'message', message: INSTRUMENTATION_SCOPE },
    2: { name: 'logRecords', type: 'messages', message: LOG_RECORD, item: true },
    3: { name: 'schemaUrl', type: 'string' },
  },
};

/** `ResourceLogs`. */
const RESOURCE_LOGS: MessageSpec = {
  create: () => ({ resource: RESOURCE.create(), scopeLogs: [] }),
  fields: {
    1: { name: 'resource', type: 'message', message: RESOURCE },
    2: { name: 'scopeLogs', type: 'messages', message: SCOPE_LOGS },
    3: { name: 'schemaUrl', type: 'string' },
  },
};

/** `ExportLogsServiceRequest`, read into an `OtlpLogsRequest`. */
export const EXPORT_LOGS_SERVICE_REQUEST: MessageSpec = {
  create: () => ({ signal: 'logs', resourceLogs: [] }),
  fields: {
    1: { name: 'resourceLogs', type: 'messages', message: RESOURCE_LOGS },
  },
};
