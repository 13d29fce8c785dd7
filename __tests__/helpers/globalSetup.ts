/**
 * Starts kinesalite, fauxqs and Postgres once per jest run, in a child process (local/src/servicesEntry.ts)
 * on free loopback ports, and exports their endpoints to every test worker through the environment.
 */
import { startServicesChild, type ServicesChild } from '../../local/src/servicesChild';

export default async function globalSetup(): Promise<void> {
  const services = await startServicesChild();
  (globalThis as { __services?: ServicesChild }).__services = services;
  Object.assign(process.env, {
    TEST_KINESIS_ENDPOINT: services.kinesisEndpoint,
    TEST_SQS_ENDPOINT: services.sqsEndpoint,
    TEST_SSM_ENDPOINT: services.ssmEndpoint,
    TEST_DATABASE_URL: services.databaseUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Node 20 is what these machines run; the SDK's notice about 2027 releases is known and only noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}
