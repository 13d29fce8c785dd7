// Where a batch that failed every retry goes (param failureDestination). `s3`: Lambda writes the whole
// invocation record, the batch's records included, to a bucket of the stack, and the bucket notifies
// the dead-letter queue, so operators still watch and drain one queue and a replay no longer races
// the stream's retention. `sqs`: Lambda's metadata-only record goes straight to the queue (the
// records must then be re-read from the stream before its retention drops them).
'use strict';

const { StageConfigError } = require('./settings.cjs');

const QUEUE_ARN = { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] };
const BUCKET_ARN = { 'Fn::GetAtt': ['FailuresBucket', 'Arn'] };
/** Lambda writes every on-failure object under this prefix (aws/lambda/<mapping uuid>/<shard>/...). */
const OBJECT_PREFIX = 'aws/lambda/';
/** The queue keeps a message 14 days (serverless.yml): an object must outlive its notification. */
const QUEUE_RETENTION_DAYS = 14;
const QUEUE_RETENTION_SECONDS = QUEUE_RETENTION_DAYS * 86_400;

/** The mappings whose on-failure destination this decides: the consumer's and the relay's, where deployed. */
function mappingIds(settings) {
  const ids = [];
  if (settings.hasDatabase) ids.push('ConsumerEventSourceMappingKinesisTelemetryStream');
  if (settings.hasRelay) ids.push('RelayEventSourceMappingKinesisTelemetryStream');
  return ids;
}

/**
 * The bucket's name, known before it exists: the queue policy must name the bucket, and the bucket
 * (whose notification S3 checks against that policy) must come after it, so neither can wait for
 * the other's generated name. Bucket names are global, hence the account and region in it.
 */
function bucketName(settings, names, region) {
  if (settings.failures.bucketName) return settings.failures.bucketName;
  const name = `${names.prefix}-failures-\${AWS::AccountId}-\${AWS::Region}`;
  const length = name.length - '${AWS::AccountId}'.length + 12 - '${AWS::Region}'.length + region.length;
  if (length > 63 || !/^[a-z0-9-]+$/.test(names.prefix))
    throw new StageConfigError(
      `the failures bucket's name ${names.prefix}-failures-<account>-${region} is not a valid S3 bucket name ` +
        '(at most 63 characters, lowercase): set param failuresBucketName',
    );
  return name;
}

function bucketArnText(name) {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${name}` };
}

function bucketResources(settings, names, region) {
  const name = bucketName(settings, names, region);
  const retain = settings.failures.retainOnDelete ? 'Retain' : 'Delete';
  return {
    FailuresBucket: {
      Type: 'AWS::S3::Bucket',
      // S3 checks the notification's queue policy when the notification is set (and sends the queue
      // an s3:TestEvent, which the replay deletes).
      DependsOn: ['DeadLetterQueuePolicy'],
      DeletionPolicy: retain,
      UpdateReplacePolicy: retain,
      Properties: {
        BucketName: { 'Fn::Sub': name },
        BucketEncryption: {
          // SSE-S3: Lambda's PutObject needs no KMS permission (an SSE-KMS bucket would need
          // kms:GenerateDataKey on the key for the role).
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'expire-failed-batches',
              Status: 'Enabled',
              ExpirationInDays: settings.failures.retentionDays,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Event: 's3:ObjectCreated:*',
              Queue: QUEUE_ARN,
              Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: OBJECT_PREFIX }] } },
            },
          ],
        },
      },
    },
    FailuresBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'FailuresBucket' },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'TlsOnly',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [BUCKET_ARN, { 'Fn::Sub': '${FailuresBucket.Arn}/*' }],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
    // Only this bucket, in this account, may send to the queue on S3's behalf.
    DeadLetterQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'DeadLetterQueue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'FailuresBucketNotifications',
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: QUEUE_ARN,
              Condition: {
                ArnEquals: { 'aws:SourceArn': bucketArnText(name) },
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              },
            },
          ],
        },
      },
    },
  };
}

/** Past this age a DLQ message is about to be lost: to the stream's retention (sqs), or to the queue's own (s3). */
function queueAgeAlarm(settings, names, dlqAgeAlarmSeconds) {
  const s3 = settings.failures.destination === 's3';
  return {
    DeadLetterQueueAgeAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${names.prefix}-dlq-age-near-${s3 ? 'queue-retention' : 'retention'}`,
        AlarmDescription: s3
          ? "The oldest DLQ message is approaching the queue's 14-day retention. Failed batches are kept in the " +
            "failures bucket, so the stream's retention no longer matters, but a notification SQS drops is a batch " +
            'nobody will replay. Replay now.'
          : "The oldest DLQ message is approaching the stream's retention. After that a replay can no longer " +
            "re-read the records Lambda's on-failure messages point at. Replay now.",
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        // 75% of the queue's 14 days with S3; the dlqAgeAlarmSeconds param (75% of what the stream keeps
        // past the last retry) without.
        Threshold: s3 ? Math.round(QUEUE_RETENTION_SECONDS * 0.75) : dlqAgeAlarmSeconds,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
      },
    },
  };
}

/**
 * @example
 * const { Resources, Outputs, extensions } = failureResources(settings, names, { region, dlqAgeAlarmSeconds });
 */
function failureResources(settings, names, { region, dlqAgeAlarmSeconds }) {
  const alarm = queueAgeAlarm(settings, names, dlqAgeAlarmSeconds);
  if (settings.failures.destination !== 's3') return { Resources: alarm, Outputs: {}, extensions: {} };
  const extensions = {};
  // The framework's `destinations` knows only SQS and SNS: the mapping's destination is replaced here.
  for (const id of mappingIds(settings))
    extensions[id] = { Properties: { DestinationConfig: { OnFailure: { Destination: BUCKET_ARN } } } };
  return {
    Resources: { ...bucketResources(settings, names, region), ...alarm },
    Outputs: {
      FailuresBucketName: {
        Description: 'Failed batches, records included (each object is announced on the DLQ)',
        Value: { Ref: 'FailuresBucket' },
      },
    },
    extensions,
  };
}

/** What the shared role needs for the bucket: Lambda writes failed batches (PutObject, ListBucket), the replay reads them. */
function failureStatements(settings) {
  if (settings.failures.destination !== 's3') return [];
  return [
    {
      Sid: 'WriteFailedBatches',
      Effect: 'Allow',
      Action: ['s3:PutObject'],
      Resource: [{ 'Fn::Sub': `\${FailuresBucket.Arn}/${OBJECT_PREFIX}*` }],
    },
    { Sid: 'ListFailedBatches', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [BUCKET_ARN] },
    {
      Sid: 'ReadFailedBatches',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [{ 'Fn::Sub': `\${FailuresBucket.Arn}/${OBJECT_PREFIX}*` }],
    },
  ];
}

module.exports = { failureResources, failureStatements };
