/**
 * `ExportMetricsServiceRequest` (opentelemetry/proto/collector/metrics/v1/metrics_service.proto) and
 * the messages under it (opentelemetry/proto/metrics/v1/metrics.proto), field numbers as the .proto
 * has them. Every kind's points land in `OtlpMetric.dataPoints`, `kind` naming which kind it was.
 */
import { INSTRUMENTATION_SCOPE, RESOURCE } from './common';
import type { MessageSpec } from './messageSpec';

/** `Exemplar`: field 1 is reserved; `as_double` / `as_int` are a oneof. */
const EXEMPLAR: MessageSpec = {
  create: () => ({}),
  fields: {
    7: { name: 'filteredAttributes', type: 'attributes' },
    2: { name: 'timeUnixNano', type: 'fixed64' },
    3: { name: 'asDouble', type: 'double', clears: 'asInt' },
    6: { name: 'asInt', type: 'sfixed64', clears: 'asDouble' },
    4: { name: 'spanId', type: 'spanId' },
    5: { name: 'traceId', type: 'traceId' },
  },
};

/** `NumberDataPoint` (gauge and sum points): field 1 is reserved; `as_double` / `as_int` are a oneof. */
const NUMBER_DATA_POINT: MessageSpec = {
  create: () => ({}),
  fields: {
    7: { name: 'attributes', type: 'attributes' },
    2: { name: 'startTimeUnixNano', type: 'fixed64' },
    3: { name: 'timeUnixNano', type: 'fixed64' },
    4: { name: 'asDouble', type: 'double', clears: 'asInt' },
    6: { name: 'asInt', type: 'sfixed64', clears: 'asDouble' },
    5: { name: 'exemplars', type: 'messages', message: EXEMPLAR },
    8: { name: 'flags', type: 'uint32' },
  },
};

/** `HistogramDataPoint`: field 1 is reserved; `sum`, `min`, `max` are `optional` (0 is a value). */
const HISTOGRAM_DATA_POINT: MessageSpec = {
  create: () => ({}),
  fields: {
    9: { name: 'attributes', type: 'attributes' },
    2: { name: 'startTimeUnixNano', type: 'fixed64' },
    3: { name: 'timeUnixNano', type: 'fixed64' },
    4: { name: 'count', type: 'fixed64' },
    5: { name: 'sum', type: 'double', optional: true },
    6: { name: 'bucketCounts', type: 'fixed64[]' },
    7: { name: 'explicitBounds', type: 'double[]' },
    8: { name: 'exemplars', type: 'messages', message: EXEMPLAR },
    10: { name: 'flags', type: 'uint32' },
    11: { name: 'min', type: 'double', optional: true },
    12: { name: 'max', type: 'double', optional: true },
  },
};

/** `ExponentialHistogramDataPoint.Buckets`. */
const BUCKETS: MessageSpec = {
  create: () => ({}),
  fields: {
    1: { name: 'offset', type: 'sint32' },
    2: { name: 'bucketCounts', type: 'uint64[]' },
  },
};

/** `ExponentialHistogramDataPoint`: `sum`, `min`, `max` are `optional`; `zero_threshold` is not. */
const EXPONENTIAL_HISTOGRAM_DATA_POINT: MessageSpec = {
  create: () => ({}),
  fields: {
    1: { name: 'attributes', type: 'attributes' },
    2: { name: 'startTimeUnixNano', type: 'fixed64' },
    3: { name: 'timeUnixNano', type: 'fixed64' },
    4: { name: 'count', type: 'fixed64' },
    5: { name: 'sum', type: 'double', optional: true },
    6: { name: 'scale', type: 'sint32' },
    7: { name: 'zeroCount', type: 'fixed64' },
    8: { name: 'positive', type: 'message', message: BUCKETS },
    9: { name: 'negative', type: 'message', message: BUCKETS },
    10: { name: 'flags', type: 'uint32' },
    11: { name: 'exemplars', type: 'messages', message: EXEMPLAR },
    12: { name: 'min', type: 'double', optional: true },
    13: { name: 'max', type: 'double', optional: true },
    14: { name: 'zeroThreshold', type: 'double' },
  },
};

/** `SummaryDataPoint.ValueAtQuantile`. */
const VALUE_AT_QUANTILE: MessageSpec = {
  create: () => ({}),
  fields: {
    1: { name: 'quantile', type: 'double' },
    2: { name: 'value', type: 'double' },
  },
};

/** `SummaryDataPoint`: field 1 is reserved; its `sum` has no presence (unlike the histograms'). */
const SUMMARY_DATA_POINT: MessageSpec = {
  create: () => ({}),
  fields: {
    7: { name: 'attributes', type: 'attributes' },
    2: { name: 'startTimeUnixNano', type: 'fixed64' },
    3: { name: 'timeUnixNano', type: 'fixed64' },
    4: { name: 'count', type: 'fixed64' },
    5: { name: 'sum', type: 'double' },
    6: { name: 'quantileValues', type: 'messages', message: VALUE_AT_QUANTILE },
    8: { name: 'flags', type: 'uint32' },
  },
};

// The kinds' own messages (Gauge, Sum, ...) are read into the Metric itself, so `create` is never used.
const intoMetric = () => ({});

/** `Gauge`. */
const GAUGE: MessageSpec = {
  create: intoMetric,
  fields: { 1: { name: 'dataPoints', type: 'messages', message: NUMBER_DATA_POINT, item: true } },
};

/** `Sum`. */
const SUM: MessageSpec = {
  create: intoMetric,
  fields: {
    1: { name: 'dataPoints', type: 'messages', message: NUMBER_DATA_POINT, item: true },
    2: { name: 'aggregationTemporality', type: 'enum' },
    3: { name: 'isMonotonic', type: 'bool' },
  },
};

/** `Histogram`. */
const HISTOGRAM: MessageSpec = {
  create: intoMetric,
  fields: {
    1: { name: 'dataPoints', type: 'messages', message: HISTOGRAM_DATA_POINT, item: true },
    2: { name: 'aggregationTemporality', type: 'enum' },
  },
};

/** `ExponentialHistogram`. */
const EXPONENTIAL_HISTOGRAM: MessageSpec = {
  create: intoMetric,
  fields: {
    1: { name: 'dataPoints', type: 'messages', message: EXPONENTIAL_HISTOGRAM_DATA_POINT, item: true },
    2: { name: 'aggregationTemporality', type: 'enum' },
  },
};

/** `Summary`. */
const SUMMARY: MessageSpec = {
  create: intoMetric,
  fields: { 1: { name: 'dataPoints', type: 'messages', message: SUMMARY_DATA_POINT, item: true } },
};

/** `Metric`: fields 4, 6 and 8 are reserved; 5, 7, 9, 10 and 11 are the `data` oneof. */
const METRIC: MessageSpec = {
  create: () => ({ name: '', dataPoints: [] }),
  fields: {
    1: { name: 'name', type: 'string' },
    2: { name: 'description', type: 'string' },
    3: { name: 'unit', type: 'string' },
    5: { name: 'gauge', type: 'metricData', message: GAUGE },
    7: { name: 'sum', type: 'metricData', message: SUM },
    9: { name: 'histogram', type: 'metricData', message: HISTOGRAM },
    10: { name: 'exponentialHistogram', type: 'metricData', message: EXPONENTIAL_HISTOGRAM },
    11: { name: 'summary', type: 'metricData', message: SUMMARY },
    12: { name: 'metadata', type: 'attributes' },
  },
};

/** `ScopeMetrics`. */
const SCOPE_METRICS: MessageSpec = {
  create: () => ({ scope: INSTRUMENTATION_SCOPE.create(), metrics: [] }),
  fields: {
    1: { name: 'scope', type: 'message', message: INSTRUMENTATION_SCOPE },
    2: { name: 'metrics', type: 'messages', message: METRIC },
    3: { name: 'schemaUrl', type: 'string' },
  },
};

/** `ResourceMetrics`. */
const RESOURCE_METRICS: MessageSpec = {
  create: () => ({ resource: RESOURCE.create(), scopeMetrics: [] }),
  fields: {
    1: { name: 'resource', type: 'message', message: RESOURCE },
    2: { name: 'scopeMetrics', type: 'messages', message: SCOPE_METRICS },
    3: { name: 'schemaUrl', type: 'string' },
  },
};

/** `ExportMetricsServiceRequest`, read into an `OtlpMetricsRequest`. */
export const EXPORT_METRICS_SERVICE_REQUEST: MessageSpec = {
  create: () => ({ signal: 'metrics', resourceMetrics: [] }),
  fields: {
    1: { name: 'resourceMetrics', type: 'messages', message: RESOURCE_METRICS },
  },
};
