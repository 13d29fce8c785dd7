/**
 * Starts a set of local services (kinesalite, fauxqs, SSM, embedded Postgres) in a child process
 * (servicesEntry.ts) and returns their endpoints. Jest's globalSetup uses it for the run's shared set,
 * the benchmarks for theirs (a child keeps the emulators off the measuring thread);
 * an end-to-end test that needs streams and queues of its own (the local stack's fixed names) starts
 * another. The child stops its services when told or when this process goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface ServicesChild {
  kinesisEndpoint: string;
  sqsEndpoint: string;
  ssmEndpoint: string;
  databaseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startServicesChild(env: NodeJS.ProcessEnv = process.env): Promise<ServicesChild> {
  const root = path.resolve(__dirname, '..', '..');
  const child = fork(path.join(__dirname, 'servicesEntry.ts'), [], {
    cwd: root,
    env,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Omit<ServicesChild, 'child' | 'stop'>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('local services did not start within 60 s')), 60_000);
    child.once('message', (message: { ready?: Omit<ServicesChild, 'child' | 'stop'> }) => {
      clearTimeout(timer);
      if (message.ready) resolve(message.ready);
      else reject(new Error('unexpected message from local services'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local services exited with code ${code} before they were ready`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 15_000).unref());
    await Promise.race([exited, timeout]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  return { ...ready, child, stop };
}
