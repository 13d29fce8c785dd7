/**
 * The load client's pieces: event generation, pacing, the POST, statistics and `runLoad`, shared by
 * `npm run send`, the end-to-end tests and the benchmarks.
 */
export { functionNames, malformedItem, poisonEvent, telemetryItem, type TelemetryItem } from './events';
export { formatStats, progressLine } from './formatStats';
export { InFlightLimit, planBatches, sleepUnlessAborted, type BatchPlan } from './pacing';
export { putPoisonEvents, type PoisonPut, type PoisonTarget } from './poison';
export { postBatch, type PostTarget } from './postBatch';
export { pick, seededRandom, uuidFrom, type Random } from './random';
export { runLoad, type LoadOptions } from './runLoad';
export { DEFAULT_STACK_FILE, readStackFile, type StackFile } from './stackFile';
export { LoadStatsRecorder, percentile, type LoadStats, type RequestOutcome, type StopReason } from './stats';
