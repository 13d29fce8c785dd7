/**
 * The emulator's own errors. It knows Lambda, Kinesis and SQS, not the pipeline it runs, so it
 * shares no code with `lib/`.
 */

/** A mapping or function setting the emulator (like Lambda) would refuse. */
export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
  readonly code = 'EMULATOR_CONFIG_INVALID';
}

/** Message of any thrown value, for log lines. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
