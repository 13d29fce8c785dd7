/**
 * Child-process entry for row 4: the whole local stack (`startLocalStack`, as `npm start` runs it)
 * in a process of its own, so the load generator never shares an event loop with the pipeline.
 * Says `{ ready }` over IPC, answers `{ type: 'status' }` with the stack's status and the mappings'
 * stats, and stops everything when told (SIGTERM) or when the parent goes away.
 */
import path from 'node:path';
import { startLocalStack } from '../../local/src/stack';
import type { StackChildReply, StackChildRequest } from './protocol';

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const stack = await startLocalStack({
    port: 0,
    root: path.resolve(__dirname, '..', '..'),
    log: (line) => process.stderr.write(`[stack] ${line}\n`),
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
  process.on('message', (request: StackChildRequest) => {
    if (request.type !== 'status') return;
    stack
      .status()
      .then((status) => {
        const reply: StackChildReply = {
          type: 'status',
          id: request.id,
          status,
          mappings: Object.fromEntries(
            Object.entries(stack.mappings).map(([name, mapping]) => [name, { ...mapping.stats }]),
          ),
        };
        process.send?.(reply);
      })
      .catch((error: unknown) =>
        process.send?.({ type: 'error', id: request.id, message: String(error) } satisfies StackChildReply),
      );
  });
  const ready: StackChildReply = {
    type: 'ready',
    info: { apiUrl: stack.apiUrl, apiKey: stack.apiKey, databaseUrl: stack.databaseUrl, streamName: stack.streamName },
  };
  process.send?.(ready);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench stack failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
