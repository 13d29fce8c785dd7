/**
 * The answer a Lambda-backed custom resource owes CloudFormation: a PUT of a JSON document to the
 * pre-signed `ResponseURL` in the event. Until it arrives the stack waits (up to the resource's
 * `ServiceTimeout`), so the migrate function sends one on every path, failure included.
 */
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import { errorMessage, PipelineError } from '../errors';

/** CloudFormation shows the reason in the stack's events; it truncates long ones, we keep the start. */
const MAX_REASON_CHARS = 2_000;
const ATTEMPTS = 3;
/** Per attempt: the three fit in the time the function keeps back for its answer. */
const ATTEMPT_TIMEOUT_MS = 3_000;

export class CloudFormationResponseError extends PipelineError {
  override readonly name = 'CloudFormationResponseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CFN_RESPONSE_FAILED', message, options);
  }
}

export type Outcome =
  | { status: 'SUCCESS'; physicalResourceId: string; data?: Record<string, string> }
  | { status: 'FAILED'; physicalResourceId: string; reason: string };

/**
 * @example
 * responseBody(event, { status: 'FAILED', physicalResourceId: 'schema', reason: 'migration 002 failed: ...' });
 */
export function responseBody(
  event: CloudFormationCustomResourceEvent,
  outcome: Outcome,
): CloudFormationCustomResourceResponse {
  const common = {
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  if (outcome.status === 'SUCCESS') return { Status: 'SUCCESS', ...common, Data: outcome.data ?? {} };
  return { Status: 'FAILED', Reason: outcome.reason.slice(0, MAX_REASON_CHARS), ...common };
}

/**
 * PUTs the answer, retrying a failed send twice (the URL is valid for hours; a lost answer would
 * leave the stack waiting for its timeout).
 *
 * @example
 * await sendResponse(event, { status: 'SUCCESS', physicalResourceId: 'schema', data: { applied: '2' } });
 */
export async function sendResponse(event: CloudFormationCustomResourceEvent, outcome: Outcome): Promise<void> {
  const body = JSON.stringify(responseBody(event, outcome));
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    try {
      // The pre-signed URL is signed for an empty content type.
      const response = await fetch(event.ResponseURL, {
        method: 'PUT',
        body,
        headers: { 'content-type': '' },
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      if (response.ok) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
  }
  throw new CloudFormationResponseError(`could not answer CloudFormation: ${errorMessage(lastError)}`, {
    cause: lastError,
  });
}
