// Runs one Lambda invocation of a deployed zip, unpacked in the working directory, the way the Node.js
// runtime would: the handler module and export from the function's Handler setting, the event on
// stdin, a context whose remaining time counts down from the function's timeout. The result (or the
// error, as Lambda reports it) goes to a file, so that the function's logs on stdout stay apart.
// Used by rehearsal/moto_server.py (gap 6); argv: module export timeoutSeconds resultFile.
'use strict';

const { randomUUID } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const [modulePath, exportName, timeoutSeconds, resultFile] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
const context = {
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'rehearsal',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};

async function run() {
  const event = JSON.parse(readFileSync(0, 'utf8') || '{}');
  const handler = require(path.resolve(modulePath))[exportName];
  try {
    const result = await handler(event, context);
    writeFileSync(resultFile, JSON.stringify(result ?? null));
  } catch (error) {
    writeFileSync(
      resultFile,
      JSON.stringify({ errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) }),
    );
    process.exitCode = 1;
  }
}

run().then(
  // Lambda freezes the sandbox after the handler returns; open sockets must not keep this process alive.
  () => process.exit(),
  (error) => {
    writeFileSync(resultFile, JSON.stringify({ errorType: 'Runtime.Error', errorMessage: String(error) }));
    process.exit(1);
  },
);
