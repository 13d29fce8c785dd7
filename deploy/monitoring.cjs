// Alarms and the dashboard for the functions a stage deploys (an edge stage has no consumer to watch).
// Alarms on the stream, the queue and the HTTP API, which every stage has, are in serverless.yml.
'use strict';

const TOPIC = [{ Ref: 'AlarmTopic' }];

function logicalId(name) {
  return `${name[0].toUpperCase()}${name.slice(1)}LambdaFunction`;
}

function alarm(names, suffix, properties) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${names.prefix}-${suffix}`,
      TreatMissingData: 'notBreaching',
      AlarmActions: TOPIC,
      OKActions: TOPIC,
      ...properties,
    },
  };
}

/** Sustained: 3 of the last 5 minutes above the threshold. */
const SUSTAINED = { Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3 };

function onFunction(name, metric, statistic, threshold) {
  return {
    Namespace: 'AWS/Lambda',
    MetricName: metric,
    Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(name) } }],
    Statistic: statistic,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanThreshold',
  };
}

/** One of the pipeline's own metrics (Powertools EMF: namespace per stage, dimension `service`). */
function onPipeline(names, metric) {
  return {
    Namespace: names.metricsNamespace,
    MetricName: metric,
    Dimensions: [{ Name: 'service', Value: names.service }],
    Statistic: 'Sum',
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
  };
}

function functionAlarms(functions, names, iteratorAgeAlarmMs) {
  const has = (name) => functions.includes(name);
  const resources = {};
  for (const name of ['consumer', 'relay'].filter(has)) {
    const title = name === 'consumer' ? 'The consumer' : 'The relay';
    resources[`${logicalId(name).replace('LambdaFunction', '')}IteratorAgeAlarm`] = alarm(
      names,
      `${name}-iterator-age`,
      {
        AlarmDescription: `${title} is falling behind the stream (records wait longer than the threshold).`,
        ...onFunction(name, 'IteratorAge', 'Maximum', iteratorAgeAlarmMs),
        ...SUSTAINED,
      },
    );
    resources[`${logicalId(name).replace('LambdaFunction', '')}ErrorsAlarm`] = alarm(names, `${name}-errors`, {
      AlarmDescription: `${title} is failing whole batches (transient faults such as Postgres or a target down).`,
      ...onFunction(name, 'Errors', 'Sum', 0),
      ...SUSTAINED,
    });
  }
  resources.IngestErrorsAlarm = alarm(names, 'ingest-errors', {
    AlarmDescription: 'ingest threw (clients got a 5xx from API Gateway).',
    ...onFunction('ingest', 'Errors', 'Sum', 0),
    Period: 300,
    EvaluationPeriods: 1,
  });
  // Throttled stream consumers fall behind; throttled ingest answers clients 5xx. One alarm over all.
  const throttled = ['ingest', 'consumer', 'relay'].filter(has);
  resources.FunctionThrottlesAlarm = alarm(names, 'functions-throttled', {
    AlarmDescription: `Lambda throttled ${throttled.join(', ')}: raise the account's concurrency or reserve some.`,
    Metrics: [
      ...throttled.map((name, index) => ({
        Id: `t${index}`,
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Throttles',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(name) } }],
          },
          Period: 60,
          Stat: 'Sum',
        },
      })),
      // FILL: a function with no data point in a minute must not blank the sum.
      {
        Id: 'throttles',
        Expression: throttled.map((_, index) => `FILL(t${index}, 0)`).join(' + '),
        ReturnData: true,
      },
    ],
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 5,
    DatapointsToAlarm: 3,
  });
  // Ingest and status answer 503 KEY_STORE_UNAVAILABLE while they cannot read the API keys (a
  // stale set is used for up to apiKeysStaleSeconds first): every client is refused, yet no function fails.
  resources.KeyStoreUnavailableAlarm = alarm(names, 'api-keys-unreadable', {
    AlarmDescription:
      'Ingest or status refused requests because the API key store (SSM) cannot be read: check SSM, the VPC ' +
      'endpoint, IAM and KMS. Nothing was taken; clients are told to come back (Retry-After).',
    ...onPipeline(names, 'KeyStoreUnavailable'),
  });
  if (has('consumer')) {
    resources.PoisonRecordsAlarm = alarm(names, 'poison-records', {
      AlarmDescription: 'The consumer dead-lettered records Postgres refused (their payloads are in the DLQ).',
      ...onPipeline(names, 'PoisonRecords'),
    });
    resources.DeadLetterSendsAlarm = alarm(names, 'dead-letter-sends', {
      AlarmDescription: 'The consumer sent messages to the DLQ: find the cause, then replay.',
      ...onPipeline(names, 'DeadLetterMessages'),
    });
  }
  if (has('maintain')) {
    // Hourly runs: an hour's Maximum over two periods, so one missed run does not hide it.
    resources.DefaultPartitionAlarm = alarm(names, 'rows-outside-partitions', {
      AlarmDescription:
        'Rows landed in a default partition: telemetry with a timestamp no partition covers (far in the past or ' +
        'future, or the maintain function not creating partitions ahead). They are kept, but never dropped by ' +
        'partition: see the maintain function log.',
      ...onPipeline(names, 'DefaultPartitionRows'),
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
    });
    resources.MaintainErrorsAlarm = alarm(names, 'maintain-errors', {
      AlarmDescription: 'The partition maintenance failed: partitions are not being created ahead or dropped.',
      ...onFunction('maintain', 'Errors', 'Sum', 0),
      Period: 3600,
      EvaluationPeriods: 1,
    });
  }
  return resources;
}

function widget(x, y, width, title, stat, metrics, extra = {}) {
  return {
    type: 'metric',
    x,
    y,
    width,
    height: 6,
    properties: { title, region: '${AWS::Region}', stat, period: 60, metrics, ...extra },
  };
}

/** The dashboard body, as a Fn::Sub string: `${Logical}` names are substituted by CloudFormation. */
function dashboardBody(functions, names, iteratorAgeAlarmMs) {
  const perFunction = (metric, list = functions) =>
    list.map((name) => ['AWS/Lambda', metric, 'FunctionName', `\${${logicalId(name)}}`]);
  const readers = ['consumer', 'relay'].filter((name) => functions.includes(name));
  const pipeline = (metric) => [names.metricsNamespace, metric, 'service', names.service];
  const stream = (metric) => ['AWS/Kinesis', metric, 'StreamName', '${TelemetryStream}'];
  const queue = (metric) => ['AWS/SQS', metric, 'QueueName', '${DeadLetterQueue.QueueName}'];
  const api = (metric) => ['AWS/ApiGateway', metric, 'ApiId', '${HttpApi}'];
  const widgets = [
    widget(0, 0, 12, 'Stream: incoming records and bytes', 'Sum', [
      stream('IncomingRecords'),
      [...stream('IncomingBytes'), { yAxis: 'right' }],
    ]),
    widget(12, 0, 12, 'Throttling: stream reads and writes, Lambda', 'Sum', [
      stream('WriteProvisionedThroughputExceeded'),
      stream('ReadProvisionedThroughputExceeded'),
      ...perFunction('Throttles', ['ingest', ...readers]),
    ]),
    widget(
      0,
      6,
      12,
      'Iterator age (ms)',
      'Maximum',
      [...perFunction('IteratorAge', readers), stream('GetRecords.IteratorAgeMilliseconds')],
      {
        annotations: { horizontal: [{ label: 'alarm', value: iteratorAgeAlarmMs }] },
      },
    ),
    widget(12, 6, 12, 'Dead-letter queue', 'Maximum', [
      queue('ApproximateNumberOfMessagesVisible'),
      [...queue('ApproximateAgeOfOldestMessage'), { yAxis: 'right' }],
    ]),
    widget(0, 12, 8, 'Duration p99 (ms)', 'p99', perFunction('Duration')),
    widget(8, 12, 8, 'Errors', 'Sum', perFunction('Errors')),
    widget(16, 12, 8, 'Concurrent executions', 'Maximum', perFunction('ConcurrentExecutions', ['ingest', ...readers])),
    widget(0, 18, 12, 'HTTP API: requests, 4xx, 5xx; p99 latency (ms)', 'Sum', [
      api('Count'),
      api('4xx'),
      api('5xx'),
      [...api('Latency'), { stat: 'p99', yAxis: 'right' }],
    ]),
    widget(12, 18, 12, 'Pipeline: events not accepted, poison records, dead-letter sends', 'Sum', [
      pipeline('EventsAccepted'),
      pipeline('EventsNotAccepted'),
      ...(functions.includes('consumer') ? [pipeline('PoisonRecords'), pipeline('DeadLetterMessages')] : []),
      ...(functions.includes('relay') ? [pipeline('RecordsRejected')] : []),
    ]),
  ];
  return JSON.stringify({ widgets }, null, 1);
}

function monitoringResources(functions, names, iteratorAgeAlarmMs) {
  return {
    ...functionAlarms(functions, names, iteratorAgeAlarmMs),
    Dashboard: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        // Dashboards are global to the account: the region keeps an edge's apart from its central's.
        DashboardName: { 'Fn::Sub': `${names.prefix}-\${AWS::Region}` },
        DashboardBody: { 'Fn::Sub': dashboardBody(functions, names, iteratorAgeAlarmMs) },
      },
    },
  };
}

module.exports = { monitoringResources };
