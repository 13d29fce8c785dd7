/**
 * The replay function's request (lib/replay/request.ts): one of two operations, each with its own
 * fields, checked up front. A field the chosen operation does not honour is refused, never ignored.
 */
import { PipelineError } from '../../lib/errors';
import { parseReplayRequest, ReplayRequestError } from '../../lib/replay/request';

/** The error a request is refused with (fails the test if it is accepted). */
function refusal(input: unknown): ReplayRequestError {
  try {
    parseReplayRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ReplayRequestError);
    return error as ReplayRequestError;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('parseReplayRequest', () => {
  it('reads null, undefined and {} as a drain of the whole queue', () => {
    const drain = { operation: 'drain', dryRun: false, dropExpired: false, filter: {} };
    expect(parseReplayRequest(null)).toEqual(drain);
    expect(parseReplayRequest(undefined)).toEqual(drain);
    expect(parseReplayRequest({})).toEqual(drain);
    expect(parseReplayRequest({ operation: 'drain' })).toEqual(drain);
    expect(parseReplayRequest({ fromCheckpoints: false })).toEqual(drain);
  });

  it('reads a drain with its own fields, the filter gathered', () => {
    expect(
      parseReplayRequest({
        dryRun: true,
        maxMessages: 5,
        maxRecords: 100,
        recordsPerSecond: 50,
        reasons: ['db-rejected'],
        shardIds: ['shardId-000000000001'],
        since: '2026-01-01T00:00:00Z',
        until: 1_767_312_000_000,
        targetStream: 'telemetry-copy',
        dropExpired: true,
      }),
    ).toEqual({
      operation: 'drain',
      dryRun: true,
      maxMessages: 5,
      maxRecords: 100,
      recordsPerSecond: 50,
      targetStream: 'telemetry-copy',
      dropExpired: true,
      filter: {
        reasons: ['db-rejected'],
        shardIds: ['shardId-000000000001'],
        since: Date.parse('2026-01-01T00:00:00Z'),
        until: 1_767_312_000_000,
      },
    });
  });

  it('reads {fromCheckpoints: true, dryRun: true, shardIds} as a fill carrying dryRun and shardIds', () => {
    const shardIds = ['shardId-000000000000', 'shardId-000000000003'];
    expect(parseReplayRequest({ fromCheckpoints: true, dryRun: true, shardIds })).toEqual({
      operation: 'fill',
      dryRun: true,
      shardIds,
    });
    expect(parseReplayRequest({ fromCheckpoints: true })).toEqual({ operation: 'fill', dryRun: false });
    expect(parseReplayRequest({ operation: 'fill', rewindSeconds: 600, recordsPerSecond: 200 })).toEqual({
      operation: 'fill',
      dryRun: false,
      rewindSeconds: 600,
      recordsPerSecond: 200,
    });
  });

  it('refuses a fill-only field on a drain', () => {
    const error = refusal({ rewindSeconds: 60 });
    expect(error.message).toMatch(/rewindSeconds is a fill option/);
    expect(refusal({ operation: 'drain', rewindSeconds: 60 }).message).toMatch(/rewindSeconds/);
  });

  it.each([
    ['maxMessages', 5],
    ['targetStream', 'other-stream'],
    ['maxRecords', 10],
    ['reasons', ['db-rejected']],
    ['since', '2026-01-01T00:00:00Z'],
    ['until', 1_767_312_000_000],
    ['dropExpired', true],
  ])('refuses the drain-only field %s on a fill', (field, value) => {
    const error = refusal({ fromCheckpoints: true, [field]: value });
    expect(error.message).toMatch(new RegExp(`^${field} is a drain option`));
    expect(refusal({ operation: 'fill', [field]: value }).message).toMatch(new RegExp(`^${field} is a drain option`));
  });

  it('refuses an unknown field, naming it', () => {
    expect(refusal({ maxMesages: 5 }).message).toMatch(/unknown option maxMesages/);
    expect(refusal({ fromCheckpoints: true, shards: ['shardId-000000000000'] }).message).toMatch(
      /unknown option shards/,
    );
  });

  it.each<[string, unknown, RegExp]>([
    ['a string', 'drain', /must be a JSON object/],
    ['an array', [{ dryRun: true }], /must be a JSON object/],
    ['an unknown operation', { operation: 'purge' }, /operation must be "drain" or "fill"/],
    ['drain and fromCheckpoints at once', { operation: 'drain', fromCheckpoints: true }, /contradict/],
    ['fromCheckpoints as a string', { fromCheckpoints: 'true' }, /fromCheckpoints must be true or false/],
    ['dryRun as a string', { dryRun: 'yes' }, /dryRun must be true or false/],
    ['dryRun as a string on a fill', { fromCheckpoints: true, dryRun: 1 }, /dryRun must be true or false/],
    ['maxMessages as a string', { maxMessages: '5' }, /maxMessages must be a number > 0/],
    ['maxMessages of 0', { maxMessages: 0 }, /maxMessages must be a number > 0/],
    ['recordsPerSecond negative', { recordsPerSecond: -1 }, /recordsPerSecond must be a number > 0/],
    ['rewindSeconds as a string', { fromCheckpoints: true, rewindSeconds: '60' }, /rewindSeconds must be a number > 0/],
    ['shardIds as a string', { shardIds: 'shardId-000000000000' }, /shardIds must be an array of strings/],
    ['shardIds of numbers on a fill', { fromCheckpoints: true, shardIds: [0] }, /shardIds must be an array of strings/],
    ['reasons of numbers', { reasons: [1] }, /reasons must be an array of strings/],
    ['since that is no time', { since: 'yesterday-ish' }, /since must be an ISO 8601 time or epoch milliseconds/],
    ['targetStream as a number', { targetStream: 42 }, /targetStream must be a stream name or ARN/],
    ['dropExpired as a string', { dropExpired: 'true' }, /dropExpired must be true or false/],
  ])('refuses %s', (_name, input, message) => {
    const error = refusal(input);
    expect(error.message).toMatch(message);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe('INVALID_REPLAY_REQUEST');
  });
});
