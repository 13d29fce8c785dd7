import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createKinesisClient } from '../lib/aws/kinesisClient';
import { readAwsConfig } from '../lib/config';
import { handleIngest, type IngestDeps } from '../lib/ingest/handleIngest';
import { readIngestConfig } from '../lib/ingest/config';
import { ingestDeadline } from '../lib/ingest/deadline';
import { createObservability } from '../lib/observability/powertools';

// Built on the first invocation and kept for the container's life (lazily, so that importing this
// module needs no environment); a ConfigError here fails every invocation until the config is fixed.
let deps: IngestDeps | undefined;

export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  deps ??= { ...createObservability({ serviceName: 'ingest' }), config: readIngestConfig(process.env), kinesis: createKinesisClient(readAwsConfig(process.env)) };
  deps.logger.addContext(context);
  try {
    return await handleIngest(event, ingestDeadline(context.getRemainingTimeInMillis()), deps);
  } finally {
    deps.metrics.publishStoredMetrics();
  }
};
