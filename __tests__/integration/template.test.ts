/**
 * The deployment, on paper: `serverless package` runs once, offline and with no AWS credentials,
 * and the CloudFormation it wrote is checked for what the pipeline relies on (the mappings' failure
 * handling, where failed batches go, alarms, scoped IAM, no database secret in the template).
 * `cfn-lint` checks the rest when it is installed. Two `serverless print` runs check that the
 * prod and local params resolve.
 *
 * The CLI runs in a temporary directory of symlinks to the checkout (local/src/offlineService.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { offlineService, type OfflineService } from '../../local/src/offlineService';
import { bundleSizes, formatSizeTable, readZipEntries, type BundleSize } from '../../scripts/bundle-sizes';
import { MIGRATION_NAMES } from '../helpers/local';

const ROOT = path.resolve(__dirname, '..', '..');
const FUNCTIONS = ['ingest', 'status', 'consumer', 'relay', 'replay', 'fill', 'maintain', 'migrate'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const HAS_CFN_LINT = spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' }).status === 0;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Resource {
  Type: string;
  Condition?: string;
  Properties: JsonObject;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, JsonObject>;
  Parameters: Record<string, JsonObject>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
}

let service: OfflineService;
let packageDir = '';
let template: Template;
let templateText = '';
let sizes: BundleSize[] = [];
let prodConfig: JsonObject;
let localConfig: JsonObject;

function obj(value: Json | undefined, where: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} is not an object`);
  return value;
}

/** The value at a path of object keys and array indexes, or undefined. */
function at(value: Json | undefined, ...keys: string[]): Json | undefined {
  let current = value;
  for (const key of keys) {
    if (Array.isArray(current)) current = current[Number(key)];
    else if (current !== null && typeof current === 'object') current = current[key];
    else return undefined;
  }
  return current;
}

function resource(logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId} in the template`);
  return found;
}

function logicalId(name: FunctionName): string {
  return `${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`;
}

function env(name: FunctionName): JsonObject {
  return obj(at(resource(logicalId(name)).Properties, 'Environment', 'Variables'), `${name} environment`);
}

function ofType(type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, value]) => value.Type === type);
}

function mappingFor(name: FunctionName): JsonObject {
  const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
    ([, value]) =>
      JSON.stringify(value.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [logicalId(name), 'Arn'] }),
  );
  expect(mappings).toHaveLength(1);
  return (mappings[0] as [string, Resource])[1].Properties;
}

function statements(): Statement[] {
  const documents = [
    ...ofType('AWS::IAM::Role').flatMap(([, role]) => {
      const policies = role.Properties.Policies;
      return Array.isArray(policies) ? policies.map((policy) => at(policy, 'PolicyDocument')) : [];
    }),
    ...ofType('AWS::IAM::Policy').map(([, policy]) => at(policy.Properties, 'PolicyDocument')),
  ];
  return documents.flatMap((document) => {
    const list = at(document, 'Statement');
    return Array.isArray(list) ? (list as unknown as Statement[]) : [];
  });
}

function actions(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Every concrete resource a statement can name, through Fn::If branches. */
function resources(value: Json): Json[] {
  if (Array.isArray(value)) return value.flatMap(resources);
  const branches = at(value, 'Fn::If');
  if (Array.isArray(branches)) return branches.slice(1).flatMap(resources);
  return [value];
}

/** Actions granted on a resource, by the JSON of how the template names it. */
function grantedOn(target: Json): Set<string> {
  const wanted = JSON.stringify(target);
  return new Set(
    statements()
      .filter(
        (statement) =>
          statement.Effect === 'Allow' && resources(statement.Resource).some((r) => JSON.stringify(r) === wanted),
      )
      .flatMap(actions),
  );
}

const STREAM_ARN = { 'Fn::GetAtt': ['TelemetryStream', 'Arn'] };
const DLQ_ARN = { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] };
const BUCKET_ARN = { 'Fn::GetAtt': ['FailuresBucket', 'Arn'] };

beforeAll(async () => {
  service = await offlineService(ROOT);
  packageDir = await service.package('dev', 'package');
  templateText = await readFile(path.join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8');
  template = JSON.parse(templateText) as Template;
  sizes = await bundleSizes(packageDir, FUNCTIONS);
  console.log(`zipped function sizes (serverless package --stage dev):\n${formatSizeTable(sizes)}`);
  const [prod, local] = await Promise.all(
    ['prod', 'local'].map(
      async (stage) =>
        JSON.parse(await service.serverless(['print', '--stage', stage, '--format', 'json'])) as JsonObject,
    ),
  );
  prodConfig = prod as JsonObject;
  localConfig = local as JsonObject;
}, 240_000);

afterAll(async () => {
  await service?.remove();
});

describe('packaged CloudFormation template (stage dev)', () => {
  it('has the eight functions on nodejs24.x, arm64, each with its own handler', () => {
    for (const name of FUNCTIONS) {
      const fn = resource(logicalId(name));
      expect(fn.Type).toBe('AWS::Lambda::Function');
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: `handlers/${name}.handler`,
        FunctionName: `telemetry-pipeline-dev-${name}`,
      });
    }
    expect(ofType('AWS::Lambda::Function')).toHaveLength(FUNCTIONS.length);
    // The replay drains a whole queue in one invocation: Lambda's longest timeout.
    expect(resource('ReplayLambdaFunction').Properties.Timeout).toBe(900);
    expect(resource('FillLambdaFunction').Properties.Timeout).toBe(900);
    // Active tracing from the service: no tracing SDK in the bundles (the zips test checks what they hold).
    expect(resource('ConsumerLambdaFunction').Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('runs the migrations on deploy through the migrate function, before the consumer starts reading', () => {
    const migrations = resource('Migrations');
    expect(migrations.Type).toBe('Custom::DatabaseMigrations');
    expect(migrations.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': ['MigrateLambdaFunction', 'Arn'] });
    // Changes exactly when migrations/ does, so CloudFormation re-runs them only then.
    expect(migrations.Properties.MigrationsHash).toMatch(/^[0-9a-f]{64}$/);
    // CloudFormation stops waiting after this (its default is an hour); the function answers before its timeout.
    const timeout = resource('MigrateLambdaFunction').Properties.Timeout as number;
    expect(migrations.Properties.ServiceTimeout as number).toBeGreaterThan(timeout);
    expect(migrations.Properties.ServiceTimeout as number).toBeLessThanOrEqual(600);
    // Re-run when the database changes too (another secret, a new cluster): a new one starts empty.
    expect(migrations.Properties.Database).toEqual(env('consumer').DATABASE_SECRET_ARN);
    // What uses the schema is updated, and the consumer's trigger created, only after the migrations ran.
    for (const id of [
      'ConsumerEventSourceMappingKinesisTelemetryStream',
      'ConsumerLambdaFunction',
      'StatusLambdaFunction',
      'FillLambdaFunction',
      'MaintainLambdaFunction',
    ]) {
      const dependsOn = (template.Resources[id] as unknown as JsonObject).DependsOn;
      expect({ id, dependsOn }).toEqual({ id, dependsOn: expect.arrayContaining(['Migrations']) });
    }
    // Ingest (which writes the event format the new consumer reads) only once that consumer is in place.
    expect((template.Resources.IngestLambdaFunction as unknown as JsonObject).DependsOn).toEqual(
      expect.arrayContaining(['ConsumerLambdaFunction']),
    );
    expect(env('migrate')).toMatchObject({ DATABASE_SSL: 'true' });
  });

  it('keeps the time partitions hourly, and right after the migrations, with the stage params; alarms on rows outside them', () => {
    const settings = { PARTITION_INTERVAL: 'day', RETENTION_DAYS: '365', PARTITIONS_AHEAD: '7' };
    expect(env('maintain')).toMatchObject({ ...settings, DATABASE_SSL: 'true' });
    expect(env('migrate')).toMatchObject(settings);
    const [, rule] = ofType('AWS::Events::Rule')[0] ?? [];
    expect(rule?.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    expect(JSON.stringify(rule?.Properties.Targets)).toContain('MaintainLambdaFunction');
    expect(resource('DefaultPartitionAlarm').Properties).toMatchObject({
      MetricName: 'DefaultPartitionRows',
      Namespace: 'TelemetryPipeline/dev',
      Threshold: 0,
    });
    expect(resource('MaintainErrorsAlarm').Properties).toMatchObject({ MetricName: 'Errors', Namespace: 'AWS/Lambda' });
    // Refusals while the API keys cannot be read fail no function: their own metric and alarm.
    expect(resource('KeyStoreUnavailableAlarm').Properties).toMatchObject({
      AlarmName: 'telemetry-pipeline-dev-api-keys-unreadable',
      MetricName: 'KeyStoreUnavailable',
      Namespace: 'TelemetryPipeline/dev',
      Threshold: 0,
    });
  });

  it('throttles the HTTP API at the stage params and sets no CORS unless origins are given', () => {
    expect(at(resource('HttpApiStage').Properties, 'DefaultRouteSettings')).toEqual({
      ThrottlingRateLimit: 1000,
      ThrottlingBurstLimit: 500,
    });
    expect(resource('HttpApi').Properties.CorsConfiguration).toBeUndefined();
  });

  it('routes POST /telemetry and the OTLP paths to ingest, the three reads to status', () => {
    const routes = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Route').map(([, route]) => {
        const integration = at(route.Properties, 'Target', 'Fn::Join', '1') as Json[] | undefined;
        const integrationId = at(integration?.[1], 'Ref') as string;
        return [
          route.Properties.RouteKey as string,
          at(resource(integrationId).Properties, 'IntegrationUri', 'Fn::GetAtt', '0'),
        ];
      }),
    );
    expect(routes).toEqual({
      'POST /telemetry': 'IngestLambdaFunction',
      // OTLP/HTTP's default paths, served by ingest too.
      'POST /v1/traces': 'IngestLambdaFunction',
      'POST /v1/logs': 'IngestLambdaFunction',
      'POST /v1/metrics': 'IngestLambdaFunction',
      'GET /telemetry/{eventId}': 'StatusLambdaFunction',
      'GET /telemetry': 'StatusLambdaFunction',
      'GET /telemetry/stats': 'StatusLambdaFunction',
    });
    expect(template.Outputs.HttpApiUrl).toBeDefined();
  });

  it.each(['consumer', 'relay'] as const)(
    '%s reads the stream in batches, bisects, reports item failures and sends failed batches to the failures bucket',
    (name) => {
      const mapping = mappingFor(name);
      expect(mapping).toMatchObject({
        EventSourceArn: STREAM_ARN,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: BUCKET_ARN } },
        Enabled: true,
      });
      expect(['TRIM_HORIZON', 'LATEST']).toContain(mapping.StartingPosition);
      expect(mapping.ParallelizationFactor).toEqual(expect.any(Number));
      expect(mapping.ParallelizationFactor as number).toBeGreaterThanOrEqual(1);
      expect(mapping.ParallelizationFactor as number).toBeLessThanOrEqual(10);
      expect(mapping.MaximumRetryAttempts as number).toBeGreaterThanOrEqual(1);
      // Lambda gives up on a batch at this age (well inside the stream's retention, so a stage switched
      // to failureDestination sqs can still re-read the range).
      const retentionSeconds = (resource('TelemetryStream').Properties.RetentionPeriodHours as number) * 3600;
      expect(mapping.MaximumRecordAgeInSeconds as number).toBeGreaterThanOrEqual(60);
      expect(mapping.MaximumRecordAgeInSeconds as number).toBeLessThan(retentionSeconds);
      expect(resource('DeadLetterQueue').Type).toBe('AWS::SQS::Queue');
    },
  );

  it('keeps failed batches in an encrypted, private, TLS-only bucket that expires them and announces each on the DLQ', () => {
    const bucket = resource('FailuresBucket');
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties.BucketName).toEqual({
      'Fn::Sub': 'telemetry-pipeline-dev-failures-${AWS::AccountId}-${AWS::Region}',
    });
    expect(at(bucket.Properties, 'BucketEncryption', 'ServerSideEncryptionConfiguration', '0')).toEqual({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    // Past the queue's 14 days: an object outlives the message that announces it.
    expect(at(bucket.Properties, 'LifecycleConfiguration', 'Rules', '0')).toMatchObject({
      Status: 'Enabled',
      ExpirationInDays: 30,
    });
    expect(at(bucket.Properties, 'NotificationConfiguration', 'QueueConfigurations')).toEqual([
      {
        Event: 's3:ObjectCreated:*',
        Queue: DLQ_ARN,
        Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'aws/lambda/' }] } },
      },
    ]);
    // S3 checks the queue policy when the notification is set: the bucket comes after it.
    expect((bucket as Resource & { DependsOn?: string[] }).DependsOn).toContain('DeadLetterQueuePolicy');

    const bucketPolicy = obj(at(resource('FailuresBucketPolicy').Properties, 'PolicyDocument'), 'bucket policy');
    expect(bucketPolicy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [BUCKET_ARN, { 'Fn::Sub': '${FailuresBucket.Arn}/*' }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
    const queuePolicy = resource('DeadLetterQueuePolicy').Properties;
    expect(queuePolicy.Queues).toEqual([{ Ref: 'DeadLetterQueue' }]);
    expect(at(queuePolicy, 'PolicyDocument', 'Statement')).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: DLQ_ARN,
        // The bucket's own name (the policy cannot wait for the bucket) and this account only.
        Condition: {
          ArnEquals: {
            'aws:SourceArn': {
              'Fn::Sub': 'arn:${AWS::Partition}:s3:::telemetry-pipeline-dev-failures-${AWS::AccountId}-${AWS::Region}',
            },
          },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      }),
    ]);
    expect(template.Outputs.FailuresBucketName?.Value).toEqual({ Ref: 'FailuresBucket' });
  });

  it('lets the functions write failed batches to the bucket and the replay read them, and nothing more in S3', () => {
    const objects = { 'Fn::Sub': '${FailuresBucket.Arn}/aws/lambda/*' };
    expect([...grantedOn(objects)].sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect([...grantedOn(BUCKET_ARN)]).toEqual(['s3:ListBucket']);
    const s3 = statements().filter((statement) => actions(statement).some((action) => action.startsWith('s3:')));
    expect(s3.flatMap(actions).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('batches 1,000 records for the consumer and 500 (one PutRecords) for the relay', () => {
    expect(mappingFor('consumer').BatchSize).toBe(1000);
    expect(mappingFor('relay').BatchSize).toBe(500);
  });

  it('encrypts the streams and keeps dead letters 14 days', () => {
    for (const id of ['TelemetryStream', 'RelayTargetStream']) {
      expect(resource(id).Type).toBe('AWS::Kinesis::Stream');
      expect(resource(id).Properties.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    }
    const queue = resource('DeadLetterQueue').Properties;
    expect(queue.MessageRetentionPeriod).toBe(1209600);
    // consumer and relay pack their poison-record messages to what the queue takes.
    expect(String(queue.MaximumMessageSize)).toBe(env('consumer').DLQ_MAX_MESSAGE_BYTES);
  });

  it('alarms on iterator age, a non-empty DLQ, DLQ age near the queue retention, and write throttling', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const find = (namespace: string, metric: string, dimension: Json): JsonObject => {
      const found = alarms.filter(
        (alarm) =>
          alarm.Namespace === namespace &&
          alarm.MetricName === metric &&
          JSON.stringify(at(alarm, 'Dimensions', '0', 'Value')) === JSON.stringify(dimension),
      );
      expect(found).toHaveLength(1);
      const alarm = found[0] as JsonObject;
      expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      return alarm;
    };
    find('AWS/Lambda', 'IteratorAge', { Ref: 'ConsumerLambdaFunction' });
    find('AWS/Lambda', 'IteratorAge', { Ref: 'RelayLambdaFunction' });
    const queueName = { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] };
    expect(find('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queueName)).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const age = find('AWS/SQS', 'ApproximateAgeOfOldestMessage', queueName);
    // With failed batches in the bucket, what a message can outlive is the queue's own retention.
    const queueRetention = resource('DeadLetterQueue').Properties.MessageRetentionPeriod as number;
    expect(age.Threshold as number).toBeLessThan(queueRetention);
    expect(age.Threshold as number).toBeGreaterThan(queueRetention / 2);
    find('AWS/Kinesis', 'WriteProvisionedThroughputExceeded', { Ref: 'TelemetryStream' });
    expect(resource('AlarmTopic').Type).toBe('AWS::SNS::Topic');
  });

  it('has a dashboard whose body is valid JSON covering the stream, the functions and the DLQ', () => {
    const body = at(resource('Dashboard').Properties, 'DashboardBody', 'Fn::Sub');
    expect(typeof body).toBe('string');
    // CloudFormation substitutes ${...}; with placeholders in their place the body must parse.
    const parsed = JSON.parse((body as string).replace(/\$\{[^}]+\}/g, 'x')) as { widgets: unknown[] };
    expect(parsed.widgets.length).toBeGreaterThanOrEqual(5);
    for (const name of [
      '${TelemetryStream}',
      '${DeadLetterQueue.QueueName}',
      ...FUNCTIONS.map((fn) => `\${${logicalId(fn)}}`),
    ]) {
      expect(body).toContain(name);
    }
  });

  it('scopes every Kinesis and SQS statement to named resources', () => {
    const scoped = statements().filter((statement) =>
      actions(statement).some((action) => /^(kinesis|sqs):/.test(action)),
    );
    expect(scoped.length).toBeGreaterThan(0);
    for (const statement of scoped) {
      for (const target of resources(statement.Resource)) {
        expect(typeof target === 'string' && target.includes('*')).toBe(false);
        expect(JSON.stringify(target)).toMatch(/TelemetryStream|RelayTargetStream|RelayTargets|DeadLetterQueue/);
      }
    }
    expect(statements().filter((statement) => actions(statement).some((action) => action.includes('*')))).toEqual([]);
  });

  it('grants what the mappings, ingest, relay and replay need, and nothing but X-Ray on "*"', () => {
    const onStream = grantedOn(STREAM_ARN);
    for (const action of [
      'DescribeStream',
      'DescribeStreamSummary',
      'GetRecords',
      'GetShardIterator',
      'ListShards',
      'PutRecord',
      'PutRecords',
    ]) {
      expect(onStream).toContain(`kinesis:${action}`);
    }
    expect(grantedOn({ 'Fn::GetAtt': ['RelayTargetStream', 'Arn'] })).toContain('kinesis:PutRecords');
    const onQueue = grantedOn(DLQ_ARN);
    for (const action of [
      'SendMessage',
      'ReceiveMessage',
      'DeleteMessage',
      'ChangeMessageVisibility',
      'GetQueueAttributes',
    ]) {
      expect(onQueue).toContain(`sqs:${action}`);
    }
    const secret = statements().filter((statement) => actions(statement).includes('secretsmanager:GetSecretValue'));
    expect(secret).toHaveLength(2);
    const database = secret.find((statement) => (statement as { Sid?: string }).Sid === 'ReadDatabaseSecret');
    for (const target of resources((database as Statement).Resource)) {
      expect(JSON.stringify(target)).toContain(':secret:telemetry-pipeline/dev/database');
      expect(JSON.stringify(target)).not.toContain('*');
    }
    // The cursor secret the stack generates, and nothing else, for the query API's cursors.
    expect(grantedOn({ Ref: 'CursorSecret' })).toEqual(new Set(['secretsmanager:GetSecretValue']));
    expect(resource('CursorSecret')).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      Properties: { Name: 'telemetry-pipeline/dev/cursor-secret', GenerateSecretString: { PasswordLength: 64 } },
    });
    // The key store: the stage's own path (and what is under it), read only, by path.
    const keyPath =
      'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/telemetry-pipeline/dev/api-keys';
    const onKeys = statements().filter((statement) => actions(statement).some((action) => action.startsWith('ssm:')));
    expect(onKeys).toHaveLength(1);
    expect(actions(onKeys[0] as Statement)).toEqual(['ssm:GetParametersByPath']);
    expect(resources((onKeys[0] as Statement).Resource)).toEqual([
      { 'Fn::Sub': keyPath },
      { 'Fn::Sub': `${keyPath}/*` },
    ]);
    // X-Ray takes no resource-level permissions: tracing's two actions are the only ones on "*".
    expect([...grantedOn('*')].sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('takes database credentials from Secrets Manager with TLS, and holds no database URL or password', () => {
    for (const name of ['consumer', 'status'] as const) {
      expect(env(name)).toMatchObject({ DATABASE_SSL: 'true', DATABASE_STATEMENT_TIMEOUT_MS: expect.any(String) });
      expect(JSON.stringify(env(name).DATABASE_SECRET_ARN)).toContain(':secret:telemetry-pipeline/dev/database');
    }
    // PasswordLength: the generated cursor secret's length (deploy/reads.cjs), not a password.
    expect(templateText.replaceAll('"PasswordLength"', '')).not.toMatch(/DATABASE_URL|password|postgres(ql)?:\/\//i);
    // Keys are read at run time from the stage's key store; nothing of them is in the template.
    for (const name of ['ingest', 'status'] as const)
      expect(env(name)).toMatchObject({
        API_KEYS_PATH: '/telemetry-pipeline/dev/api-keys/',
        API_KEYS_REFRESH_SECONDS: '60',
        API_KEYS_STALE_SECONDS: '900',
      });
    expect(env('status').CURSOR_SECRET_ARN).toEqual({ Ref: 'CursorSecret' });
    // The writers' calls in flight (lib/kinesis/putConcurrently.ts), from the stage param.
    for (const name of ['ingest', 'relay', 'replay'] as const) expect(env(name).PUT_CONCURRENCY).toBe('8');
    expect(templateText).not.toContain('api-key-hashes');
  });

  it('sets the environment each function reads', () => {
    for (const name of FUNCTIONS) {
      expect(Object.keys(env(name))).toEqual(
        expect.arrayContaining([
          'TELEMETRY_STREAM_NAME',
          'TELEMETRY_STREAM_ARN',
          'DLQ_URL',
          'DLQ_MAX_MESSAGE_BYTES',
          'POWERTOOLS_SERVICE_NAME',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_LOG_LEVEL',
          'NODE_OPTIONS',
        ]),
      );
      expect(env(name)).toMatchObject({
        TELEMETRY_STREAM_NAME: 'telemetry-pipeline-dev-telemetry',
        TELEMETRY_STREAM_ARN: STREAM_ARN,
        DLQ_URL: { Ref: 'DeadLetterQueue' },
        DLQ_MAX_MESSAGE_BYTES: '262144',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
    expect(env('ingest').MAX_BODY_BYTES).toBe('5242880');
    expect(env('relay').RELAY_TARGETS).toEqual({ 'Fn::GetAtt': ['RelayTargetStream', 'Arn'] });
  });

  it('outputs the API URL, the stream and the DLQ', () => {
    expect(template.Outputs.TelemetryStreamName?.Value).toEqual({ Ref: 'TelemetryStream' });
    expect(template.Outputs.TelemetryStreamArn?.Value).toEqual(STREAM_ARN);
    expect(template.Outputs.DeadLetterQueueUrl?.Value).toEqual({ Ref: 'DeadLetterQueue' });
    expect(template.Outputs.HttpApiUrl?.Value).toBeDefined();
  });

  (HAS_CFN_LINT ? it : it.skip)(
    'passes cfn-lint without errors',
    async () => {
      const file = path.join(packageDir, 'cloudformation-template-update-stack.json');
      const result = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
      // cfn-lint's exit code is a bit set: 1 fatal, 2 errors, 4 warnings, 8 informational.
      const status = result.status ?? 1;
      if (status !== 0) console.log(`cfn-lint (exit ${status}):\n${result.stdout}${result.stderr}`);
      expect({ fatalOrErrors: status & 3, output: status & 3 ? result.stdout + result.stderr : '' }).toEqual({
        fatalOrErrors: 0,
        output: '',
      });
    },
    120_000,
  );
});

describe('function zips', () => {
  it.each(FUNCTIONS)('%s holds its minified bundle and a source map of mappings only, SDK left out', async (name) => {
    const entries = readZipEntries(await readFile(path.join(packageDir, `${name}.zip`)));
    // The migrate function also carries the SQL it applies.
    const sql = name === 'migrate' ? MIGRATION_NAMES.map((file) => `migrations/${file}`) : [];
    expect(entries.map((entry) => entry.name).sort()).toEqual([
      `handlers/${name}.js`,
      `handlers/${name}.js.map`,
      ...sql,
    ]);
    const bundle =
      entries
        .find((entry) => entry.name.endsWith('.js'))
        ?.data()
        .toString('utf8') ?? '';
    expect(bundle).toContain(`//# sourceMappingURL=${name}.js.map`);
    const map = JSON.parse(
      entries
        .find((entry) => entry.name.endsWith('.map'))
        ?.data()
        .toString('utf8') ?? '{}',
    ) as {
      sources: string[];
      mappings: string;
      sourcesContent?: unknown;
    };
    expect(map.mappings.length).toBeGreaterThan(0);
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources.some((source) => source.endsWith(`handlers/${name}.ts`))).toBe(true);
    // The runtime ships AWS SDK v3; a bundled copy would be most of the zip.
    expect(map.sources.filter((source) => source.includes('node_modules/@aws-sdk/'))).toEqual([]);
    expect(sizes.find((size) => size.name === name)?.bytes).toBeGreaterThan(0);
    // DESIGN.md's budget: 60 KB zipped with the SDK external (a size, not a timing: a bundle that
    // grows past it is a regression to look at, not machine noise).
    expect(sizes.find((size) => size.name === name)?.bytes).toBeLessThanOrEqual(60_000);
  });

  it('are byte-identical when packaged again (fixed timestamps): unchanged functions are not redeployed', async () => {
    const again = await service.package('dev', 'package-again');
    for (const name of FUNCTIONS) {
      expect(
        (await readFile(path.join(again, `${name}.zip`))).equals(await readFile(path.join(packageDir, `${name}.zip`))),
      ).toBe(true);
    }
  }, 120_000);
});

describe('other stages resolve offline', () => {
  it('prod: more shards, a week of retention, parallel batches, more retries, a failures bucket kept on removal', () => {
    const stream = obj(at(prodConfig, 'resources', 'Resources', 'TelemetryStream', 'Properties'), 'prod stream');
    expect(stream).toMatchObject({ ShardCount: 4, RetentionPeriodHours: 168 });
    const event = obj(at(prodConfig, 'functions', 'consumer', 'events', '0', 'stream'), 'prod consumer event');
    expect(event).toMatchObject({ batchSize: 1000, parallelizationFactor: 2, maximumRetryAttempts: 10 });
    expect(at(prodConfig, 'resources', 'Resources', 'FailuresBucket', 'DeletionPolicy')).toBe('Retain');
    expect(at(prodConfig, 'resources', 'Resources', 'FailuresBucket', 'UpdateReplacePolicy')).toBe('Retain');
    expect(resource('FailuresBucket')).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  it('local: a plain DATABASE_URL, the local key path and cursor secret, one shard, 24 h, from the trim horizon', () => {
    const consumerEnv = obj(at(localConfig, 'functions', 'consumer', 'environment'), 'local consumer environment');
    expect(consumerEnv.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
    expect(consumerEnv.DATABASE_SECRET_ARN).toBeUndefined();
    expect(at(localConfig, 'provider', 'environment', 'API_KEYS_PATH')).toBe('/telemetry-pipeline/local/api-keys/');
    expect(at(localConfig, 'functions', 'status', 'environment', 'CURSOR_SECRET')).toEqual(expect.any(String));
    expect(at(localConfig, 'resources', 'Resources', 'TelemetryStream', 'Properties')).toMatchObject({
      ShardCount: 1,
      RetentionPeriodHours: 24,
    });
    expect(at(localConfig, 'functions', 'consumer', 'events', '0', 'stream', 'startingPosition')).toBe('TRIM_HORIZON');
    expect(at(localConfig, 'functions', 'relay', 'events', '0', 'stream', 'startingPosition')).toBe('TRIM_HORIZON');
  });
});
