/** What a stage CLI run found, as one row per thing a deploy needs, and the exit code that follows. */
import Table from 'cli-table3';

export type CheckStatus = 'ok' | 'created' | 'missing' | 'invalid';

export interface Check {
  what: string;
  status: CheckStatus;
  /** For people; never a secret's value nor a whole hash. */
  detail: string;
}

/** A step's rows, plus what the operator should do next (printed under the table). */
export interface StepResult {
  checks: Check[];
  advice: string[];
  /** `name=value` params the stage's deploy needs (`serverless deploy --param=...`). */
  deployParams?: string[];
}

export function checksPassed(checks: Check[]): boolean {
  return checks.every((check) => check.status === 'ok' || check.status === 'created');
}

/**
 * @example
 * console.log(renderChecks([{ what: 'database secret', status: 'ok', detail: 'RDS format' }], process.stdout.isTTY));
 */
export function renderChecks(checks: Check[], terminal: boolean): string {
  const table = new Table({
    head: ['what', 'status', 'detail'],
    colWidths: [24, 10, 80],
    wordWrap: true,
    // Colours only on a terminal: piped into a file or a ticket, escape codes are noise.
    style: terminal ? { head: ['cyan'] } : { head: [], border: [] },
  });
  for (const check of checks) table.push([check.what, check.status, check.detail]);
  return table.toString();
}
