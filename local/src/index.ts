/**
 * The pipeline on one machine: local services (kinesalite, fauxqs, Postgres, and a TLS-only Postgres
 * for tests), the local stack configured from `serverless.yml`, the HTTP adapter, the load client and
 * the offline packager.
 */
export {
  startLocalStack,
  LOCAL_API_KEY,
  type LocalStack,
  type LocalStackInfo,
  type LocalStackOptions,
  type LocalStackStatus,
} from './stack';
export {
  loadServerlessConfig,
  localArnResolver,
  streamMappingsFromConfig,
  LOCAL_ACCOUNT_ID,
  type ResolvedServerlessConfig,
  type StreamFunctionMapping,
} from './serverlessConfig';
export { mappingFromServerlessEvent, type ArnResolver, type ServerlessStreamMapping } from './serverlessEvent';
export { startHttpApi, type HttpApiServer, type HttpHandler, type Route } from './httpApi';
export { freePort, startLocalServices, type LocalServices } from './services';
export { startServicesChild, type ServicesChild } from './servicesChild';
export { startTlsPostgres, type TlsPostgres, type TlsPostgresOptions } from './tlsPostgres';
export { offlineService, type OfflineService } from './offlineService';
