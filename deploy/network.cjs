// Interface endpoints for what the functions in the VPC call (SQS: dead letters; Secrets Manager:
// database credentials and the cursor secret; Kinesis: the fill reads shards; SSM: the status
// function reads the API keys), and an S3 gateway endpoint for the migrate
// function's answer to CloudFormation, so those functions need no NAT gateway.
// The endpoints get a security group of their own that admits HTTPS from the functions' groups.
'use strict';

const SERVICES = { Sqs: 'sqs', SecretsManager: 'secretsmanager', Kinesis: 'kinesis-streams', Ssm: 'ssm' };

/** @returns the endpoint resources, or none when the stage does not ask for them. */
function endpointResources(settings, names) {
  const { network } = settings;
  if (!network.endpoints || !settings.hasDatabase) return {};
  const group = { 'Fn::GetAtt': ['EndpointSecurityGroup', 'GroupId'] };
  const resources = {
    EndpointSecurityGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `${names.prefix} VPC endpoints: HTTPS from the database functions`,
        VpcId: network.vpcId,
        SecurityGroupIngress: network.securityGroupIds.map((source) => ({
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: source,
          Description: 'HTTPS from the functions in the VPC',
        })),
      },
    },
  };
  // The migrate function answers CloudFormation with a PUT to a pre-signed S3 URL: without a NAT
  // gateway, only an S3 gateway endpoint (free) on the subnets' route tables reaches it.
  resources.S3Endpoint = {
    Type: 'AWS::EC2::VPCEndpoint',
    Properties: {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' },
      VpcId: network.vpcId,
      RouteTableIds: network.routeTableIds,
    },
  };
  for (const [name, service] of Object.entries(SERVICES)) {
    resources[`${name}Endpoint`] = {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcEndpointType: 'Interface',
        ServiceName: { 'Fn::Sub': `com.amazonaws.\${AWS::Region}.${service}` },
        VpcId: network.vpcId,
        SubnetIds: network.subnetIds,
        SecurityGroupIds: [group],
        // The SDK's default endpoint names then resolve to the endpoint's private addresses.
        PrivateDnsEnabled: true,
      },
    };
  }
  return resources;
}

/** Logical ids of the endpoints, for what must wait until they exist (the migrations). */
function endpointIds(settings) {
  if (!settings.network.endpoints || !settings.hasDatabase) return [];
  return [...Object.keys(SERVICES).map((name) => `${name}Endpoint`), 'S3Endpoint'];
}

module.exports = { endpointResources, endpointIds };
