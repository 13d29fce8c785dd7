/**
 * The import boundaries in biome.json, checked on a scratch tree with the project's own biome.json
 * and package.json: production code importing the emulator, the local stack or a devDependency
 * fails the lint, the emulator importing pipeline code fails it, and clean code passes. The same
 * rules run over the real tree in `.ci/run` (`npm run lint`).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const BIOME = path.join(ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');

let dir: string;

async function lint(files: Record<string, string>): Promise<{ failed: boolean; output: string }> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [BIOME, 'lint', '--max-diagnostics=50', ...Object.keys(files)],
      {
        cwd: dir,
      },
    );
    return { failed: false, output: stdout + stderr };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { failed: true, output: stdout + stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'boundaries-'));
  // The project's rules as they are, without the git integration (the scratch tree is no repository).
  const config = JSON.parse(await readFile(path.join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
  config.vcs = { enabled: false };
  delete config.$schema;
  await writeFile(path.join(dir, 'biome.json'), JSON.stringify(config));
  await cp(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('import boundaries', () => {
  it('lets production code import its own modules, runtime dependencies and type-only packages', async () => {
    const result = await lint({
      'lib/ingest/clean.ts': [
        "import type { Context } from 'aws-lambda';",
        "import { Client } from 'pg';",
        "import { errorMessage } from '../errors';",
        'export const clean = [Client, errorMessage] as unknown as Context;',
        '',
      ].join('\n'),
    });
    expect(result.output).not.toMatch(/noRestrictedImports|noUndeclaredDependencies/);
    expect(result.failed).toBe(false);
  });

  it('refuses the emulator, the local stack and devDependencies in lib/ and handlers/', async () => {
    const result = await lint({
      'lib/ingest/violation.ts': [
        "import { startEventSourceMapping } from '../../emulator/src';",
        "import { startLocalStack } from '../../local/src/stack';",
        "import Table from 'cli-table3';",
        'export const violation = [startEventSourceMapping, startLocalStack, Table];',
        '',
      ].join('\n'),
      'handlers/violation.ts': "import { freePort } from '../local/src/services';\nexport const port = freePort;\n",
    });
    expect(result.failed).toBe(true);
    expect(result.output).toContain('production code may not import the event-source-mapping emulator');
    expect(result.output).toContain('production code may not import the local stack');
    expect(result.output).toMatch(/Dependency cli-table3 isn't specified|devDependencies/);
    expect(result.output).toContain('handlers/violation.ts');
  });

  it('refuses pipeline code in the emulator', async () => {
    const result = await lint({
      'emulator/src/violation.ts':
        "import { putRecords } from '../../lib/kinesis/putRecords';\nexport const put = putRecords;\n",
    });
    expect(result.failed).toBe(true);
    expect(result.output).toContain('the emulator knows Lambda, Kinesis and SQS, not this pipeline');
  });
});
