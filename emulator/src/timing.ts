/**
 * The emulator's pacing. Polling follows Kinesis' limits; the retry cadence is a model: Lambda does
 * not publish its backoff, so it is set near what AWS was recorded doing. A batch that always fails,
 * first invoked 5-15 s after its record arrived, with maximumRecordAgeInSeconds 60 and retries
 * unlimited, was invoked 8 times before it aged out (localstack/localstack, the recording of
 * `test_kinesis_maximum_record_age_exceeded[expire-while-retrying]`, 2025-11-25). Waits of 1, 2, 4
 * and 8 s, then 10 s each, give invocations at 0, 1, 3, 7, 15, 25, 35 and 45 s: 8 (emulator/README.md).
 */
import { EmulatorConfigError } from './errors';
import type { EsmTiming } from './types';

export const DEFAULT_TIMING: Required<EsmTiming> = {
  pollIntervalMs: 500,
  shardDiscoveryIntervalMs: 1_000,
  retryBaseDelayMs: 1_000,
  retryMaxDelayMs: 10_000,
  onFailureRetryDelayMs: 1_000,
};

/**
 * @example
 * const timing = resolveTiming({ retryBaseDelayMs: 20 }); // the defaults for the rest
 */
export function resolveTiming(timing: EsmTiming = {}): Required<EsmTiming> {
  const resolved = { ...DEFAULT_TIMING, ...timing };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value < 0)
      throw new EmulatorConfigError(`timing.${name} must be a number of milliseconds >= 0, got ${value}`);
  }
  // Never poll an idle shard faster than Kinesis' 5 GetRecords calls per second.
  return { ...resolved, pollIntervalMs: Math.max(200, resolved.pollIntervalMs) };
}
