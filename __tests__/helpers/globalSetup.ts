/**
 * Starts kinesalite, fauxqs and Postgres once per jest run, in a child process (scripts/services.ts)
 * on free loopback ports, and exports their endpoints to every test worker through the environment.
 */
import { fork } from 'node:child_process';
import path from 'node:path';

interface Ready {
  kinesisEndpoint: string;
  sqsEndpoint: string;
  databaseUrl: string;
}

export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const child = fork(path.join(root, 'scripts', 'services.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('local services did not start within 60 s')), 60_000);
    child.once('message', (message: { ready?: Ready }) => {
      clearTimeout(timer);
      if (message.ready) resolve(message.ready);
      else reject(new Error('unexpected message from local services'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local services exited with code ${code} before they were ready`));
    });
  });
  (globalThis as { __servicesChild?: typeof child }).__servicesChild = child;
  Object.assign(process.env, {
    TEST_KINESIS_ENDPOINT: ready.kinesisEndpoint,
    TEST_SQS_ENDPOINT: ready.sqsEndpoint,
    TEST_DATABASE_URL: ready.databaseUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Node 20 is what these machines run; the SDK's notice about 2027 releases is known and only noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}
