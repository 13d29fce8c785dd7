/**
 * `npm run keys -- <create|list|revoke|rotate|import-legacy> (--stage <name> | --local) [flags]`: a
 * stage's API keys and their tenants, in the SSM key store the functions reload every 60 s.
 * `--help` says more (scripts/keys/args.ts).
 */
import { errorMessage } from '../lib/errors';
import { type Output, runKeysCommand } from './keys/commands';
import { parseKeysArgs, USAGE } from './keys/args';
import { openTarget } from './keys/target';
import { CliError } from './stage/errors';

/** Refusals and nothing-there change nothing and are told apart from failures that stopped the run. */
function exitCode(error: unknown): number {
  return error instanceof CliError && (error.code === 'REFUSED' || error.code === 'NOT_FOUND') ? 1 : 2;
}

/**
 * A last guard on error text, which may quote what an AWS service sent back: a key or a whole digest
 * must not reach a terminal or a CI log through it.
 */
function redact(text: string): string {
  return text.replace(/tp_[A-Za-z0-9_-]{16,}/g, '<key>').replace(/\b[0-9a-fA-F]{64}\b/g, '<hash>');
}

const output: Output = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  terminal: process.stdout.isTTY === true,
};

async function main(argv: string[]): Promise<number> {
  const now = Date.now();
  const options = parseKeysArgs(argv, now);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const target = await openTarget(options.target, process.env);
  try {
    await runKeysCommand(options, target, output, now);
  } finally {
    target.ssm.destroy();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`keys: ${redact(errorMessage(error)).replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = exitCode(error);
  },
);
