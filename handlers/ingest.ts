/** `POST /telemetry`: lib/ingest/handleIngest.ts. */
import { ingestFunction } from '../lib/ingest/ingestFunction';
import { lambdaHandler } from '../lib/lambda/lambdaHandler';

export const handler = lambdaHandler(ingestFunction);
