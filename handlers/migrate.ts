/** The database migrations, on deploy (a CloudFormation custom resource) or by hand: lib/migrate/migrateFunction.ts. */
import { lambdaHandler } from '../lib/lambda/lambdaHandler';
import { migrateFunction } from '../lib/migrate/migrateFunction';

export const handler = lambdaHandler(migrateFunction);
