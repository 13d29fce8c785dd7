/**
 * The stage params that change what a stage deploys (deploy/settings.cjs): the network, the managed
 * database with and without its proxy, and the edge and central roles. Each combination is packaged
 * offline, as `serverless package --stage <stage> --param=...` would for a user, and its template is
 * checked (and given to cfn-lint when it is installed).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { offlineService, type OfflineService } from '../../local/src/offlineService';

const ROOT = path.resolve(__dirname, '..', '..');
const HAS_CFN_LINT = spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' }).status === 0;
const SUBNETS = 'subnet-0123456789abcdef0,subnet-0fedcba9876543210';
const FUNCTION_GROUP = 'sg-0123456789abcdef0';
const VPC = 'vpc-0123456789abcdef0';
const ROUTE_TABLE = 'rtb-0123456789abcdef0';
const NETWORK = [`subnetIds=${SUBNETS}`, `securityGroupIds=${FUNCTION_GROUP}`, `vpcId=${VPC}`];
const CENTRAL_STREAM = 'arn:aws:kinesis:eu-west-1:123456789012:stream/telemetry-pipeline-prod-telemetry';
const DATABASE_FUNCTIONS = ['Status', 'Consumer', 'Fill', 'Maintain', 'Migrate'];
const FAILED_BATCH_OBJECTS = '${FailuresBucket.Arn}/aws/lambda/*';
const BUCKET_ARN = { 'Fn::GetAtt': ['FailuresBucket', 'Arn'] };
const DLQ_ARN = { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  Properties: { [key: string]: Json };
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: Json }>;
}
interface Packaged {
  template: Template;
  file: string;
}

let service: OfflineService;
let serial = 0;

async function packageWith(stage: string, params: string[]): Promise<Packaged> {
  serial += 1;
  const dir = path.join(service.dir, `stage-package-${serial}`);
  await service.serverless(['package', '--stage', stage, ...params.map((p) => `--param=${p}`), '--package', dir]);
  const file = path.join(dir, 'cloudformation-template-update-stack.json');
  return { template: JSON.parse(await readFile(file, 'utf8')) as Template, file };
}

function functionIds(template: Template): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id]) => id.replace('LambdaFunction', ''))
    .sort();
}

function ofType(template: Template, type: string): Resource[] {
  return Object.values(template.Resources).filter((resource) => resource.Type === type);
}

function variables(template: Template, name: string): { [key: string]: Json } {
  const environment = template.Resources[`${name}LambdaFunction`]?.Properties.Environment as {
    Variables: { [key: string]: Json };
  };
  return environment.Variables;
}

/** Every action the role grants, with the resources it names. */
function grants(template: Template): Array<{ action: string; resource: string }> {
  const role = template.Resources.IamRoleLambdaExecution as Resource;
  const policies = role.Properties.Policies as Array<{ PolicyDocument: { Statement: Json[] } }>;
  return policies.flatMap((policy) =>
    policy.PolicyDocument.Statement.flatMap((statement) => {
      const { Action, Resource: target } = statement as { Action: string | string[]; Resource: Json };
      const targets = Array.isArray(target) ? target : [target];
      return (Array.isArray(Action) ? Action : [Action]).flatMap((action) =>
        targets.map((resource) => ({ action, resource: JSON.stringify(resource) })),
      );
    }),
  );
}

function lintErrors(file: string): string {
  const result = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
  // Exit status bits: 1 fatal, 2 errors (4 warnings and 8 informational are not failures here).
  return (result.status ?? 1) & 3 ? `${result.stdout}${result.stderr}` : '';
}

function expectNoWildcardsOnData(template: Template): void {
  const onData = grants(template).filter(({ action }) => /^(kinesis|sqs|s3|secretsmanager):/.test(action));
  expect(onData.length).toBeGreaterThan(0);
  // The one wildcard: the objects Lambda writes under the failures bucket's prefix.
  for (const grant of onData) expect(grant.resource.replace(FAILED_BATCH_OBJECTS, '')).not.toContain('*');
}

/** The failure destination of the mapping for a function. */
function destinationOf(template: Template, fn: string): Json {
  const mapping = template.Resources[`${fn}EventSourceMappingKinesisTelemetryStream`] as Resource;
  return (mapping.Properties.DestinationConfig as { OnFailure: { Destination: Json } }).OnFailure.Destination;
}

beforeAll(async () => {
  service = await offlineService(ROOT, 'telemetry-stages-');
}, 60_000);

afterAll(async () => {
  await service?.remove();
});

describe('network: subnets and security groups', () => {
  let packaged: Packaged;
  beforeAll(async () => {
    packaged = await packageWith('dev', [
      ...NETWORK,
      'vpcEndpoints=true',
      `routeTableIds=${ROUTE_TABLE}`,
      'corsOrigins=https://app.example.com',
    ]);
  }, 120_000);

  it('puts exactly the functions that talk to Postgres in the VPC', () => {
    const { template } = packaged;
    for (const name of functionIds(template)) {
      const vpc = template.Resources[`${name}LambdaFunction`]?.Properties.VpcConfig;
      if (DATABASE_FUNCTIONS.includes(name)) {
        expect(vpc).toEqual({
          SubnetIds: SUBNETS.split(','),
          SecurityGroupIds: [FUNCTION_GROUP],
        });
      } else {
        expect({ name, vpc }).toEqual({ name, vpc: undefined });
      }
    }
    expect(functionIds(template)).toEqual([
      'Consumer',
      'Fill',
      'Ingest',
      'Maintain',
      'Migrate',
      'Relay',
      'Replay',
      'Status',
    ]);
  });

  it('adds interface endpoints for SQS, Secrets Manager, Kinesis and SSM that admit HTTPS from the functions', () => {
    const { template } = packaged;
    const endpoints = ofType(template, 'AWS::EC2::VPCEndpoint').filter(
      (endpoint) => endpoint.Properties.VpcEndpointType === 'Interface',
    );
    const services = endpoints.map((endpoint) => JSON.stringify(endpoint.Properties.ServiceName)).sort();
    expect(services).toEqual([
      JSON.stringify({ 'Fn::Sub': 'com.amazonaws.${AWS::Region}.kinesis-streams' }),
      JSON.stringify({ 'Fn::Sub': 'com.amazonaws.${AWS::Region}.secretsmanager' }),
      JSON.stringify({ 'Fn::Sub': 'com.amazonaws.${AWS::Region}.sqs' }),
      JSON.stringify({ 'Fn::Sub': 'com.amazonaws.${AWS::Region}.ssm' }),
    ]);
    for (const endpoint of endpoints) {
      expect(endpoint.Properties).toMatchObject({ VpcEndpointType: 'Interface', VpcId: VPC, PrivateDnsEnabled: true });
    }
    expect(template.Resources.EndpointSecurityGroup?.Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ FromPort: 443, ToPort: 443, SourceSecurityGroupId: FUNCTION_GROUP }),
    ]);
    // The migrate function answers CloudFormation on a pre-signed S3 URL: a gateway endpoint reaches it.
    expect(template.Resources.S3Endpoint?.Properties).toMatchObject({
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' },
      RouteTableIds: [ROUTE_TABLE],
    });
    // The migrations need Secrets Manager and S3 from inside the VPC: they wait for the endpoints.
    expect(template.Resources.Migrations?.DependsOn).toEqual(
      expect.arrayContaining(['SqsEndpoint', 'SecretsManagerEndpoint', 'KinesisEndpoint', 'S3Endpoint']),
    );
  });

  it('allows the named browser origin the headers ingest reads', () => {
    const cors = packaged.template.Resources.HttpApi?.Properties.CorsConfiguration as { [key: string]: Json };
    expect(cors.AllowOrigins).toEqual(['https://app.example.com']);
    expect(cors.AllowHeaders).toEqual(expect.arrayContaining(['content-encoding', 'idempotency-key', 'x-api-key']));
    expect(cors.ExposeHeaders).toEqual(expect.arrayContaining(['location', 'retry-after']));
  });

  (HAS_CFN_LINT ? it : it.skip)('passes cfn-lint without errors', () => {
    expect(lintErrors(packaged.file)).toBe('');
  });
});

describe.each([
  ['with RDS Proxy', true],
  ['without a proxy', false],
])('managed database (Aurora Serverless v2) %s, on prod', (_title, proxy) => {
  let packaged: Packaged;
  beforeAll(async () => {
    packaged = await packageWith('prod', [...NETWORK, 'database=managed', `databaseProxy=${proxy}`]);
  }, 120_000);

  it('creates the cluster in the stage subnets with an RDS-managed secret, protected and backed up on prod', () => {
    const { template } = packaged;
    const cluster = template.Resources.DatabaseCluster as Resource;
    expect(cluster.Properties).toMatchObject({
      Engine: 'aurora-postgresql',
      ManageMasterUserPassword: true,
      StorageEncrypted: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
      ServerlessV2ScalingConfiguration: { MinCapacity: expect.any(Number), MaxCapacity: expect.any(Number) },
    });
    expect(cluster.DeletionPolicy).toBe('Snapshot');
    expect(template.Resources.DatabaseSubnetGroup?.Properties.SubnetIds).toEqual(SUBNETS.split(','));
    expect(template.Resources.DatabaseInstance?.Properties).toMatchObject({
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
    const ingress = ofType(template, 'AWS::EC2::SecurityGroupIngress').filter(
      (rule) => rule.Properties.SourceSecurityGroupId === FUNCTION_GROUP,
    );
    expect(ingress).toHaveLength(1);
    expect(ingress[0]?.Properties).toMatchObject({ FromPort: 5432, ToPort: 5432 });
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['DatabaseEndpoint', 'DatabaseSecretArn']));
  });

  it('points the functions at the managed secret, the migrations straight at the cluster', () => {
    const { template } = packaged;
    const secret = { 'Fn::GetAtt': ['DatabaseCluster', 'MasterUserSecret.SecretArn'] };
    const host = proxy
      ? { 'Fn::GetAtt': ['DatabaseProxy', 'Endpoint'] }
      : { 'Fn::GetAtt': ['DatabaseCluster', 'Endpoint.Address'] };
    for (const name of ['Consumer', 'Status', 'Fill']) {
      expect(variables(template, name)).toMatchObject({
        DATABASE_SECRET_ARN: secret,
        DATABASE_URL: { 'Fn::Join': ['', ['postgres://', host, ':5432/telemetry']] },
        DATABASE_SSL: 'true',
        DATABASE_POOLED: proxy ? 'true' : 'false',
      });
    }
    expect(variables(template, 'Migrate')).toMatchObject({
      DATABASE_URL: {
        'Fn::Join': ['', ['postgres://', { 'Fn::GetAtt': ['DatabaseCluster', 'Endpoint.Address'] }, ':5432/telemetry']],
      },
      DATABASE_POOLED: 'false',
    });
    // Behind the proxy the functions send no statement_timeout: the migrations set it on the role.
    expect(variables(template, 'Migrate').ROLE_STATEMENT_TIMEOUT_MS).toBe(proxy ? '5000' : undefined);
    // The writer must be up before the migrations run and before the proxy can register the cluster.
    expect(template.Resources.Migrations?.DependsOn).toEqual(
      expect.arrayContaining(proxy ? ['DatabaseInstance', 'DatabaseProxyTargetGroup'] : ['DatabaseInstance']),
    );
    expect(template.Resources.Migrations?.Properties.Database).toEqual({
      'Fn::GetAtt': ['DatabaseCluster', 'Endpoint.Address'],
    });
    const secretReads = grants(template).filter(({ action }) => action === 'secretsmanager:GetSecretValue');
    expect(secretReads.map(({ resource }) => resource)).toContain(JSON.stringify(secret));
    expectNoWildcardsOnData(template);
  });

  it(proxy ? 'has a TLS-only proxy reading the managed secret' : 'has no proxy', () => {
    const { template } = packaged;
    const proxies = ofType(template, 'AWS::RDS::DBProxy');
    if (!proxy) {
      expect(proxies).toEqual([]);
      return;
    }
    expect(proxies).toHaveLength(1);
    expect(proxies[0]?.Properties).toMatchObject({
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [expect.objectContaining({ AuthScheme: 'SECRETS' })],
    });
    expect(template.Resources.DatabaseProxyTargetGroup?.DependsOn).toEqual(['DatabaseInstance']);
    expect(template.Resources.DatabaseProxyTargetGroup?.Properties.DBClusterIdentifiers).toEqual([
      { Ref: 'DatabaseCluster' },
    ]);
  });

  (HAS_CFN_LINT ? it : it.skip)('passes cfn-lint without errors', () => {
    expect(lintErrors(packaged.file)).toBe('');
  });
});

describe('roles', () => {
  let edge: Packaged;
  let central: Packaged;
  beforeAll(async () => {
    edge = await packageWith('dev', ['role=edge', `relayTargets=${CENTRAL_STREAM}`]);
    central = await packageWith('dev', ['role=central']);
  }, 180_000);

  it('edge: ingest, stream and a relay to the central stream; no database functions, secret or migrations', () => {
    const { template } = edge;
    expect(functionIds(template)).toEqual(['Ingest', 'Relay', 'Replay']);
    expect(variables(template, 'Relay').RELAY_TARGETS).toBe(CENTRAL_STREAM);
    expect(template.Resources.TelemetryStream?.Type).toBe('AWS::Kinesis::Stream');
    expect(template.Resources.RelayTargetStream).toBeUndefined();
    expect(template.Resources.Migrations).toBeUndefined();
    const actions = grants(template).map(({ action }) => action);
    expect(actions).not.toContain('secretsmanager:GetSecretValue');
    expect(
      grants(template)
        .filter(({ action }) => action === 'kinesis:PutRecords')
        .map((g) => g.resource),
    ).toContain(JSON.stringify(CENTRAL_STREAM));
    expect(JSON.stringify(template)).not.toMatch(/DATABASE_|ConsumerLambdaFunction|StatusLambdaFunction/);
    // Only the ingest routes: status reads the database, which lives in the central region.
    const routes = ofType(template, 'AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey);
    expect(routes.sort()).toEqual(['POST /telemetry', 'POST /v1/logs', 'POST /v1/metrics', 'POST /v1/traces']);
    // The relay's failed batches are kept in the edge's own bucket and announced on its own queue.
    expect(destinationOf(template, 'Relay')).toEqual(BUCKET_ARN);
    expect(template.Resources.FailuresBucket?.Type).toBe('AWS::S3::Bucket');
    expectNoWildcardsOnData(template);
  });

  it('central: the database functions and no relay unless it is given targets', () => {
    const { template } = central;
    expect(functionIds(template)).toEqual(['Consumer', 'Fill', 'Ingest', 'Maintain', 'Migrate', 'Replay', 'Status']);
    expect(template.Resources.RelayTargetStream).toBeUndefined();
    expect(template.Outputs.TelemetryStreamArn).toBeDefined();
    expect(destinationOf(template, 'Consumer')).toEqual(BUCKET_ARN);
    expectNoWildcardsOnData(template);
  });

  (HAS_CFN_LINT ? it : it.skip)('both pass cfn-lint without errors', () => {
    expect(lintErrors(edge.file)).toBe('');
    expect(lintErrors(central.file)).toBe('');
  });
});

describe('failureDestination=sqs: the metadata-only destination, as before the failures bucket', () => {
  let packaged: Packaged;
  beforeAll(async () => {
    packaged = await packageWith('dev', ['failureDestination=sqs']);
  }, 60_000);

  it('sends both mappings to the DLQ and creates no bucket, bucket policy, queue policy or S3 grant', () => {
    const { template } = packaged;
    expect(destinationOf(template, 'Consumer')).toEqual(DLQ_ARN);
    expect(destinationOf(template, 'Relay')).toEqual(DLQ_ARN);
    expect(template.Resources.FailuresBucket).toBeUndefined();
    expect(template.Resources.DeadLetterQueuePolicy).toBeUndefined();
    expect(template.Outputs.FailuresBucketName).toBeUndefined();
    expect(grants(template).filter(({ action }) => action.startsWith('s3:'))).toEqual([]);
  });

  it('alarms on DLQ age at the dlqAgeAlarmSeconds param, before the stream drops the ranges messages name', () => {
    const alarm = packaged.template.Resources.DeadLetterQueueAgeAlarm as Resource;
    expect(alarm.Properties).toMatchObject({
      AlarmName: 'telemetry-pipeline-dev-dlq-age-near-retention',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 62100,
    });
  });

  (HAS_CFN_LINT ? it : it.skip)('passes cfn-lint without errors', () => {
    expect(lintErrors(packaged.file)).toBe('');
  });
});

describe('an external secret under a customer-managed KMS key', () => {
  it('gets kms:Decrypt on exactly that key, and only through Secrets Manager', async () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = await packageWith('dev', [`databaseSecretKmsKeyArn=${key}`]);
    const role = template.Resources.IamRoleLambdaExecution as Resource;
    const policies = role.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<{ [k: string]: Json }> } }>;
    const decrypt = policies
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) => JSON.stringify(statement.Action).includes('kms:'));
    expect(decrypt).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt'],
        Resource: key,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      }),
    ]);
  }, 60_000);
});

describe('a wrong combination fails packaging with one clear sentence', () => {
  it.each([
    [['role=edge'], 'role edge relays to the central stream: set param relayTargets'],
    [['role=regional'], 'param role must be one of all, edge, central'],
    [['database=managed'], 'param database=managed needs subnetIds'],
    [[`subnetIds=${SUBNETS}`], 'params subnetIds and securityGroupIds go together'],
    [
      [...NETWORK, 'vpcEndpoints=true'],
      'param vpcEndpoints needs subnetIds, securityGroupIds, vpcId and routeTableIds',
    ],
    [['databaseProxy=true'], 'param databaseProxy=true needs database=managed'],
    [['databaseSecretKmsKeyArn=alias/mine'], 'param databaseSecretKmsKeyArn must be a KMS key ARN'],
    [['subnetIds=subnet-1', `securityGroupIds=${FUNCTION_GROUP}`], 'param subnetIds: "subnet-1" is not a subnet id'],
    [['failureDestination=sns'], 'param failureDestination must be one of s3, sqs'],
    [['failuresRetentionDays=7'], 'param failuresRetentionDays must be a number from 15 to 3650'],
    [['failuresBucketName=Failed_Batches'], 'param failuresBucketName must be a valid S3 bucket name'],
  ])(
    '%j',
    async (params, message) => {
      await expect(packageWith('dev', params)).rejects.toThrow(message);
    },
    60_000,
  );

  it('a stage name too long for the derived bucket name, unless failuresBucketName is set', async () => {
    await expect(packageWith('integration-tests', [])).rejects.toThrow(
      "the failures bucket's name telemetry-pipeline-integration-tests-failures-<account>-us-east-1 is not a valid S3 bucket name",
    );
    const { template } = await packageWith('integration-tests', ['failuresBucketName=acme-telemetry-failures']);
    expect(template.Resources.FailuresBucket?.Properties.BucketName).toEqual({ 'Fn::Sub': 'acme-telemetry-failures' });
  }, 120_000);
});
