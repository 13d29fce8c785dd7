/** The partial-batch response rules that decide what a handler's return value means. */
import { judgeResponse } from '../../src/batchResponse';
import { toStreamRecord } from '../../src/streamRecord';

describe('judgeResponse (ReportBatchItemFailures)', () => {
  const records = ['9', '10', '100'].map((sequence) =>
    toStreamRecord(
      { SequenceNumber: sequence, PartitionKey: 'k', Data: new Uint8Array(), ApproximateArrivalTimestamp: new Date() },
      'shardId-000000000000',
      0,
    ),
  );

  // As recorded against AWS (conformance.test.ts): '' and [] are success too.
  it.each([undefined, null, '', [], {}, { batchItemFailures: [] }, { batchItemFailures: null }])(
    '%j is success',
    (response) => {
      expect(judgeResponse(response, records, true)).toEqual({ kind: 'success' });
    },
  );

  it('picks the lowest sequence number numerically (BigInt), not as a string', () => {
    const response = { batchItemFailures: [{ itemIdentifier: '100' }, { itemIdentifier: '10' }] };
    expect(judgeResponse(response, records, true)).toEqual({ kind: 'partial', firstFailedIndex: 1 });
  });

  it('ignores the response when ReportBatchItemFailures is off', () => {
    expect(judgeResponse({ batchItemFailures: [{ itemIdentifier: '9' }] }, records, false)).toEqual({
      kind: 'success',
    });
  });

  it.each([
    ['a string', 'oops'],
    ['a non-empty array', [{ itemIdentifier: '9' }]],
    ['a null item', { batchItemFailures: [null] }],
    ['a numeric id', { batchItemFailures: [{ itemIdentifier: 9 }] }],
  ])('%s is a whole-batch failure', (_name, response) => {
    expect(judgeResponse(response, records, true).kind).toBe('malformed');
  });
});
