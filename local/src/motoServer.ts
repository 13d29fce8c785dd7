/**
 * moto's server mode (a local AWS API: SSM, Secrets Manager, CloudFormation, SQS, STS, KMS...) as a child
 * process on 127.0.0.1, for tests and rehearsals of what talks to AWS control planes that the other local
 * services (kinesalite, fauxqs) do not cover.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { PipelineError } from '../../lib/errors';
import { freePort } from './services';

const HOST = '127.0.0.1';
const DEFAULT_READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
/** Enough of its output to explain a failed start without keeping a long-lived server's whole log. */
const OUTPUT_TAIL_LINES = 40;
/** freePort releases the port before moto binds it, so another process can take it in between. */
const PORT_ATTEMPTS = 3;

export interface StartMotoOptions {
  /**
   * What to run with python3 instead of `-m moto.server` (e.g. `['rehearsal/moto_wrapper.py']`);
   * `-H 127.0.0.1 -p <port>` is appended either way, so a wrapper must accept them.
   */
  args?: string[];
  /** Each line the server prints (stdout and stderr), as it prints it. */
  log?: (line: string) => void;
  /** How long to wait for the first HTTP answer (default 20 s). */
  readyTimeoutMs?: number;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: give it to SDK clients as `endpoint` or as `AWS_ENDPOINT_URL`. */
  endpoint: string;
  pid: number;
  /** Kills the server by its pid and resolves once it has exited; safe to call twice. */
  stop(): Promise<void>;
}

/** moto could not be started (python3 or moto missing, a crash, no answer in time). */
export class MotoStartError extends PipelineError {
  override readonly name = 'MotoStartError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MOTO_START_FAILED', message, options);
  }
}

class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly log: ((line: string) => void) | undefined) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  text(): string {
    if (this.partial) {
      this.add(this.partial);
      this.partial = '';
    }
    return this.lines.join('\n');
  }

  private add(line: string): void {
    const trimmed = line.replace(/\r$/, '');
    this.log?.(trimmed);
    this.lines.push(trimmed);
    if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.shift();
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, STOP_TIMEOUT_MS)) return;
  child.kill('SIGKILL');
  await waitForExit(child, STOP_TIMEOUT_MS);
}

/** The cause of a failed start, in the words an operator can act on. */
function explain(output: string, command: string): string {
  const missing = /No module named '?([\w.]+?)'?(?=[\s)]|$)/m.exec(output)?.[1];
  if (missing === 'moto') return `moto is not installed for python3: pip install 'moto[server]' (ran: ${command})`;
  if (missing)
    return `python3 cannot import ${missing} (moto's server mode needs pip install 'moto[server]'; ran: ${command})`;
  return `moto (${command}) exited before it answered HTTP`;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    // Any HTTP status will do: a wrapper script may not serve moto's own API under /moto-api.
    const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

type Attempt = { server: MotoServer } | { portTaken: true };

async function attempt(options: StartMotoOptions): Promise<Attempt> {
  const port = await freePort();
  const args = [...(options.args ?? ['-m', 'moto.server']), '-H', HOST, '-p', String(port)];
  const command = `python3 ${args.join(' ')}`;
  const endpoint = `http://${HOST}:${port}`;
  const tail = new OutputTail(options.log);
  const child = spawn('python3', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Unbuffered, so a crash's traceback reaches us before the exit does.
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));

  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ENOENT'
          ? "python3 is not on PATH: moto's server mode needs Python 3 with moto installed (pip install 'moto[server]')"
          : `cannot run ${command}: ${error.message}`;
      reject(new MotoStartError(message, { cause: error }));
    });
  });
  // A test runner that dies without calling stop() must not leave the server behind.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= kill(child).finally(() => process.removeListener('exit', killOnExit));
    return stopping;
  };

  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(child)) {
      await stop();
      const output = tail.text();
      if (/Address already in use/i.test(output)) return { portTaken: true };
      throw new MotoStartError(`${explain(output, command)}, code ${child.exitCode ?? child.signalCode}:\n${output}`);
    }
    if (await answers(endpoint)) return { server: { endpoint, pid, stop } };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new MotoStartError(
    `${command} did not answer HTTP on ${endpoint} within ${timeoutMs / 1000} s:\n${tail.text()}`,
  );
}

/**
 * Starts moto's server mode on a free loopback port and resolves once it answers HTTP.
 *
 * @throws MotoStartError when python3 or moto is missing, the server exits, or it does not answer in time
 *   (the message carries the end of its output).
 * @example
 * const moto = await startMoto();
 * const ssm = new SSMClient({ endpoint: moto.endpoint, region: 'eu-west-1', credentials });
 * // ...
 * await moto.stop();
 * @example
 * // Your own wrapper (say, one that patches moto before serving): runs `python3 wrapper.py -H 127.0.0.1 -p <port>`.
 * const moto = await startMoto({ args: ['rehearsal/wrapper.py'], log: (line) => console.error(`moto: ${line}`) });
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  for (let i = 0; i < PORT_ATTEMPTS; i += 1) {
    const result = await attempt(options);
    if ('server' in result) return result.server;
  }
  throw new MotoStartError(`moto could not bind a free port on ${HOST} in ${PORT_ATTEMPTS} attempts`);
}
