import type { ServicesChild } from '../../local/src/servicesChild';

/** Stops the services child started by globalSetup and waits until it has cleaned up. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __services?: ServicesChild }).__services?.stop();
}
