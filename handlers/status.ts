import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createDatabaseConnection } from '../lib/db/createConnection';
import { createObservability } from '../lib/observability/powertools';
import { readStatusConfig } from '../lib/status/config';
import { handleStatus, type StatusDeps } from '../lib/status/handleStatus';

// Built on the first invocation and kept for the container's life; the connection itself is made on
// first use and re-made after it breaks (lib/db/connection.ts).
let deps: StatusDeps | undefined;

function build(): StatusDeps {
  const config = readStatusConfig(process.env);
  const db = createDatabaseConnection(config.database, config.aws, 'telemetry-status');
  return { ...createObservability({ serviceName: 'status' }), apiKeyHashes: config.apiKeyHashes, db };
}

export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  deps ??= build();
  deps.logger.addContext(context);
  try {
    return await handleStatus(event, deps);
  } finally {
    deps.metrics.publishStoredMetrics();
  }
};
