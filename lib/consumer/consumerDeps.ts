/**
 * The consumer's dependencies from its configuration: built once per container by the consumer
 * function and by the fill, which writes through the same path.
 */
import type { ClientOverrides } from '../aws/clients';
import { createSqsClient } from '../aws/sqsClient';
import type { DatabaseConnection } from '../db/connection';
import { createDatabaseConnection } from '../db/createConnection';
import type { ConsumerConfig } from './config';
import type { ConsumerDeps } from './processBatch';

/**
 * Cheap: the database connects on first use and is kept for the container's life.
 *
 * @example
 * const deps = consumerDeps(readConsumerConfig(process.env), {});
 */
export function consumerDeps(
  config: ConsumerConfig,
  clients: ClientOverrides,
): ConsumerDeps & { db: DatabaseConnection } {
  return {
    db: createDatabaseConnection(config.database, config.aws, config.functionName),
    sqs: createSqsClient(config.aws, clients),
    dlqUrl: config.dlqUrl,
    maxMessageBytes: config.dlqMaxMessageBytes,
    functionName: config.functionName,
    deadlineMarginMs: config.deadlineMarginMs,
  };
}
