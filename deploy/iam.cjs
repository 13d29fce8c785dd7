// The functions' shared role, statement by statement, each scoped to the resources it names. Kinesis,
// SQS and Secrets Manager actions never take "*".
'use strict';

const { databaseSecret } = require('./database.cjs');
const { failureStatements } = require('./failures.cjs');
const { apiKeyStatements, cursorSecretStatements } = require('./reads.cjs');

const STREAM = { 'Fn::GetAtt': ['TelemetryStream', 'Arn'] };
const QUEUE = { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] };
const OWN_RELAY_TARGET = { 'Fn::GetAtt': ['RelayTargetStream', 'Arn'] };

/** Where the relay writes: the named streams, or the stack's own target stream when none are named. */
function relayTargetArns(settings) {
  return settings.relayTargets.length > 0 ? settings.relayTargets : [OWN_RELAY_TARGET];
}

async function iamStatements(settings, resolveVariable) {
  const statements = [
    // What AWS lists for a Kinesis event source mapping's execution role, scoped to the stream
    // (kinesis:ListStreams takes no resource, so it could only be granted on '*': left out, the mapping
    // does not need it). The replay and the fill re-read ranges with the same actions.
    {
      Sid: 'ReadTelemetryStream',
      Effect: 'Allow',
      Action: [
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
      ],
      Resource: [STREAM],
    },
    // ingest puts new events; replay puts dead-lettered records back.
    {
      Sid: 'WriteTelemetryStream',
      Effect: 'Allow',
      Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
      Resource: [STREAM],
    },
    // consumer/relay dead-letter poison records; replay drains the queue. (The framework adds
    // sqs:SendMessage on the same queue for the mappings' on-failure destination itself.)
    {
      Sid: 'UseDeadLetterQueue',
      Effect: 'Allow',
      Action: [
        'sqs:SendMessage',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
      ],
      Resource: [QUEUE],
    },
    ...failureStatements(settings),
    // ingest and status authenticate callers against the stage's key store.
    ...apiKeyStatements({ service: String(await resolveVariable('self:service')), stage: settings.stage }),
    ...cursorSecretStatements(settings),
  ];
  if (settings.hasRelay) {
    // A target in another account also needs a resource policy on that stream granting this role.
    statements.push({
      Sid: 'WriteRelayTargets',
      Effect: 'Allow',
      Action: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DescribeStreamSummary'],
      Resource: relayTargetArns(settings),
    });
  }
  if (settings.hasDatabase) {
    const secret = await databaseSecret(settings, resolveVariable);
    // An external secret is named by convention with a partial ARN: GetSecretValue accepts it, and IAM
    // matches the full ARN through the 6-character suffix Secrets Manager adds.
    const resources =
      settings.database.mode === 'managed' ? [secret] : [secret, { 'Fn::Sub': `${secret['Fn::Sub']}-??????` }];
    statements.push({
      Sid: 'ReadDatabaseSecret',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: resources,
    });
    if (settings.database.secretKmsKeyArn) {
      // A secret under a customer-managed key is unreadable without Decrypt on that key, through Secrets Manager only.
      statements.push({
        Sid: 'DecryptDatabaseSecret',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [settings.database.secretKmsKeyArn],
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      });
    }
  }
  return statements;
}

module.exports = { iamStatements, relayTargetArns };
