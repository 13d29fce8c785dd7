/**
 * The messages every signal shares (opentelemetry/proto/resource/v1/resource.proto and
 * opentelemetry/proto/common/v1/common.proto); AnyValue and KeyValue are read by `anyValue.ts`.
 */
import type { MessageSpec } from './messageSpec';

/** `Resource`. `entity_refs` (3) is not in the model and is skipped. */
export const RESOURCE: MessageSpec = {
  create: () => ({ attributes: {} }),
  fields: {
    1: { name: 'attributes', type: 'attributes' },
    2: { name: 'droppedAttributesCount', type: 'uint32' },
  },
};

/** `InstrumentationScope`. */
export const INSTRUMENTATION_SCOPE: MessageSpec = {
  create: () => ({}),
  fields: {
    1: { name: 'name', type: 'string' },
    2: { name: 'version', type: 'string' },
    3: { name: 'attributes', type: 'attributes' },
    4: { name: 'droppedAttributesCount', type: 'uint32' },
  },
};
