/**
 * Fault injection for the Kinesis client: kinesalite never throttles and never fails part of a
 * PutRecords call, so these SDK middlewares make it look as if it had. Failed entries are removed
 * from the request before it is sent (so, as on AWS, they are really not on the stream) and given
 * an ErrorCode in the response at their original position.
 */
import {
  KinesisServiceException,
  type KinesisClient,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';

export interface EntryFault {
  /** Decide per entry, per PutRecords call (1-based), whether it fails. */
  fails(entry: PutRecordsRequestEntry, call: number, position: number): boolean;
  code?: string;
}

export interface FaultControl {
  /** PutRecords calls seen, and the size of each. */
  calls: { entries: number; bytes: number }[];
  remove(): void;
}

function isPutRecords(input: unknown): input is PutRecordsCommandInput {
  return typeof input === 'object' && input !== null && Array.isArray((input as PutRecordsCommandInput).Records);
}

/** Watches PutRecords calls without changing them. */
export function observePutRecords(kinesis: KinesisClient): FaultControl {
  return injectPartialFailures(kinesis, { fails: () => false });
}

/** Fails the entries `fault.fails` picks, as a partial failure (HTTP 200, FailedRecordCount > 0). */
export function injectPartialFailures(kinesis: KinesisClient, fault: EntryFault): FaultControl {
  const name = `partial-failures-${Math.random()}`;
  const calls: FaultControl['calls'] = [];
  kinesis.middlewareStack.add(
    (next) => async (args) => {
      if (!isPutRecords(args.input)) return next(args);
      const entries = args.input.Records ?? [];
      const call = calls.length + 1;
      calls.push({
        entries: entries.length,
        bytes: entries.reduce((sum, e) => sum + (e.Data?.byteLength ?? 0) + Buffer.byteLength(e.PartitionKey ?? ''), 0),
      });
      const failing = entries.map((entry, position) => fault.fails(entry, call, position));
      const kept = entries.filter((_entry, position) => !failing[position]);
      const code = fault.code ?? 'ProvisionedThroughputExceededException';
      const failedResult: PutRecordsResultEntry = { ErrorCode: code, ErrorMessage: `injected ${code}` };
      if (kept.length === 0) {
        const output: PutRecordsCommandOutput = {
          $metadata: { httpStatusCode: 200 },
          FailedRecordCount: entries.length,
          Records: entries.map(() => failedResult),
        };
        return { output, response: {} };
      }
      const result = await next({ ...args, input: { ...args.input, Records: kept } });
      const output = result.output as PutRecordsCommandOutput;
      const real = [...(output.Records ?? [])];
      const merged = failing.map((fails) => (fails ? failedResult : (real.shift() as PutRecordsResultEntry)));
      const failedCount = merged.filter((entry) => entry.ErrorCode).length;
      return { ...result, output: { ...output, Records: merged, FailedRecordCount: failedCount } };
    },
    { step: 'initialize', name },
  );
  return { calls, remove: () => kinesis.middlewareStack.remove(name) };
}

/** Throws a whole-call error (e.g. throttling) for the calls `when` picks. */
export function injectCallErrors(
  kinesis: KinesisClient,
  when: (call: number) => boolean,
  code = 'ProvisionedThroughputExceededException',
  status = 400,
): FaultControl {
  const name = `call-errors-${Math.random()}`;
  const calls: FaultControl['calls'] = [];
  kinesis.middlewareStack.add(
    (next) => async (args) => {
      if (!isPutRecords(args.input)) return next(args);
      const entries = args.input.Records ?? [];
      calls.push({ entries: entries.length, bytes: 0 });
      if (when(calls.length)) {
        throw new KinesisServiceException({
          name: code,
          $fault: status >= 500 ? 'server' : 'client',
          $metadata: { httpStatusCode: status },
          message: `injected ${code}`,
        });
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { calls, remove: () => kinesis.middlewareStack.remove(name) };
}
