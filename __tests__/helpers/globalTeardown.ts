import type { ChildProcess } from 'node:child_process';

/** Stops the services child started by globalSetup and waits until it has cleaned up. */
export default async function globalTeardown(): Promise<void> {
  const child = (globalThis as { __servicesChild?: ChildProcess }).__servicesChild;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 15_000).unref());
  await Promise.race([exited, timeout]);
  if (child.exitCode === null) child.kill('SIGKILL');
}
