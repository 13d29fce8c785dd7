// The database a stage uses. `external`: a Postgres you run, named by a Secrets Manager secret in
// RDS format. `managed`: an Aurora PostgreSQL Serverless v2 cluster in the stage's subnets, its
// master password kept by RDS in a secret of its own, optionally behind an RDS Proxy.
'use strict';

const CLUSTER_SECRET = { 'Fn::GetAtt': ['DatabaseCluster', 'MasterUserSecret.SecretArn'] };
const DATABASE_NAME = 'telemetry';
const PORT = 5432;

/** The ARN the functions read credentials from (for IAM and the environment). */
async function databaseSecret(settings, resolveVariable) {
  if (settings.database.mode === 'managed') return CLUSTER_SECRET;
  return { 'Fn::Sub': String(await resolveVariable('param:databaseSecretArn')) };
}

/**
 * The database part of a function's environment. `direct`: the migrations connect to the cluster
 * itself, never through the proxy (their lock is a session advisory lock, which transaction pooling breaks).
 */
async function databaseEnvironment(settings, resolveVariable, { direct }) {
  if (settings.database.mode === 'external') return resolveVariable('param:databaseEnvironment');
  const proxied = settings.database.proxy && !direct;
  const timeout = String(await resolveVariable('param:databaseStatementTimeoutMs'));
  const host = proxied
    ? { 'Fn::GetAtt': ['DatabaseProxy', 'Endpoint'] }
    : { 'Fn::GetAtt': ['DatabaseCluster', 'Endpoint.Address'] };
  return {
    // RDS-managed secrets hold only username and password; the URL (no password) gives the rest.
    DATABASE_SECRET_ARN: CLUSTER_SECRET,
    DATABASE_URL: { 'Fn::Join': ['', ['postgres://', host, `:${PORT}/${DATABASE_NAME}`]] },
    DATABASE_SSL: 'true',
    // Node.js 20+ Lambda runtimes no longer load Amazon's CA bundle by default; RDS certificates need it.
    NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    DATABASE_STATEMENT_TIMEOUT_MS: timeout,
    // Behind RDS Proxy the functions send no statement_timeout (a session setting pins the connection
    // to one client); the migrate function sets it on the role instead (ROLE_STATEMENT_TIMEOUT_MS).
    DATABASE_POOLED: proxied ? 'true' : 'false',
    ...(settings.database.proxy && direct ? { ROLE_STATEMENT_TIMEOUT_MS: timeout } : {}),
  };
}

function ingressFrom(settings, logicalPrefix, groupRef) {
  const rules = {};
  settings.network.securityGroupIds.forEach((source, index) => {
    rules[`${logicalPrefix}${index + 1}`] = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: {
        GroupId: groupRef,
        IpProtocol: 'tcp',
        FromPort: PORT,
        ToPort: PORT,
        SourceSecurityGroupId: source,
        Description: 'Postgres from the functions that talk to the database',
      },
    };
  });
  return rules;
}

/** The managed database's resources and outputs (none for `external`). */
function databaseResources(settings, names) {
  if (!settings.hasDatabase || settings.database.mode !== 'managed') return { Resources: {}, Outputs: {} };
  const { database, network } = settings;
  const keep = database.deletionProtection ? 'Snapshot' : 'Delete';
  const group = { 'Fn::GetAtt': ['DatabaseSecurityGroup', 'GroupId'] };
  const Resources = {
    DatabaseSubnetGroup: {
      Type: 'AWS::RDS::DBSubnetGroup',
      Properties: { DBSubnetGroupDescription: `${names.prefix} database`, SubnetIds: network.subnetIds },
    },
    DatabaseSecurityGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `${names.prefix} database: Postgres from the database functions`,
        VpcId: network.vpcId,
      },
    },
    ...ingressFrom(settings, 'DatabaseIngressFromFunctions', group),
    DatabaseCluster: {
      Type: 'AWS::RDS::DBCluster',
      DeletionPolicy: keep,
      UpdateReplacePolicy: keep,
      Properties: {
        Engine: 'aurora-postgresql',
        EngineVersion: '16.6',
        DatabaseName: DATABASE_NAME,
        MasterUsername: 'telemetry',
        ManageMasterUserPassword: true,
        ServerlessV2ScalingConfiguration: { MinCapacity: database.minCapacity, MaxCapacity: database.maxCapacity },
        DBSubnetGroupName: { Ref: 'DatabaseSubnetGroup' },
        VpcSecurityGroupIds: [group],
        StorageEncrypted: true,
        DeletionProtection: database.deletionProtection,
        BackupRetentionPeriod: database.backupRetentionDays,
        CopyTagsToSnapshot: true,
      },
    },
    DatabaseInstance: {
      Type: 'AWS::RDS::DBInstance',
      Properties: {
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.serverless',
        DBClusterIdentifier: { Ref: 'DatabaseCluster' },
        PubliclyAccessible: false,
      },
    },
  };
  const Outputs = {
    DatabaseEndpoint: {
      Description: 'The Aurora cluster writer endpoint (migrations and manual use)',
      Value: { 'Fn::GetAtt': ['DatabaseCluster', 'Endpoint.Address'] },
    },
    DatabaseSecretArn: { Description: 'The RDS-managed master secret', Value: CLUSTER_SECRET },
  };
  if (database.proxy) {
    Object.assign(Resources, {
      DatabaseProxyRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'rds.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
          Policies: [
            {
              PolicyName: 'read-database-secret',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: CLUSTER_SECRET }],
              },
            },
          ],
        },
      },
      DatabaseProxy: {
        Type: 'AWS::RDS::DBProxy',
        Properties: {
          DBProxyName: names.prefix,
          EngineFamily: 'POSTGRESQL',
          RequireTLS: true,
          Auth: [{ AuthScheme: 'SECRETS', SecretArn: CLUSTER_SECRET, IAMAuth: 'DISABLED' }],
          RoleArn: { 'Fn::GetAtt': ['DatabaseProxyRole', 'Arn'] },
          VpcSubnetIds: network.subnetIds,
          VpcSecurityGroupIds: [group],
        },
      },
      DatabaseProxyTargetGroup: {
        Type: 'AWS::RDS::DBProxyTargetGroup',
        // RDS refuses to register a cluster whose writer is not available yet.
        DependsOn: ['DatabaseInstance'],
        Properties: {
          DBProxyName: { Ref: 'DatabaseProxy' },
          TargetGroupName: 'default',
          DBClusterIdentifiers: [{ Ref: 'DatabaseCluster' }],
        },
      },
      // The proxy shares the database's group: this lets it reach the cluster.
      DatabaseIngressFromProxy: {
        Type: 'AWS::EC2::SecurityGroupIngress',
        Properties: {
          GroupId: group,
          IpProtocol: 'tcp',
          FromPort: PORT,
          ToPort: PORT,
          SourceSecurityGroupId: group,
          Description: 'Postgres from the RDS Proxy',
        },
      },
    });
    Outputs.DatabaseProxyEndpoint = {
      Description: 'The RDS Proxy endpoint the functions use',
      Value: { 'Fn::GetAtt': ['DatabaseProxy', 'Endpoint'] },
    };
  }
  return { Resources, Outputs };
}

/**
 * What identifies the database the functions use: when it changes (another secret, a new cluster), the
 * migrations custom resource is updated and runs them against the new one.
 */
async function databaseIdentity(settings, resolveVariable) {
  if (settings.database.mode === 'managed') return { 'Fn::GetAtt': ['DatabaseCluster', 'Endpoint.Address'] };
  return databaseSecret(settings, resolveVariable);
}

module.exports = { databaseEnvironment, databaseIdentity, databaseResources, databaseSecret };
