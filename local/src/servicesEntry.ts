/**
 * Child-process entry for the test harness: starts the local services, prints one JSON line with
 * their endpoints, and stops them when told (SIGTERM/SIGINT) or when the parent goes away (its
 * IPC channel closes), so a crashed test run leaves nothing behind.
 */
import { startLocalServices } from './services';

async function main(): Promise<void> {
  const services = await startLocalServices({
    databaseUrl: process.env.DATABASE_URL,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await services.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
  const ready = {
    kinesisEndpoint: services.kinesisEndpoint,
    sqsEndpoint: services.sqsEndpoint,
    ssmEndpoint: services.ssmEndpoint,
    databaseUrl: services.databaseUrl,
  };
  if (process.send) process.send({ ready });
  else process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`local services failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
