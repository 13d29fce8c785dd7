/**
 * `npm run keys` (scripts/keys.ts) as an operator runs it: the real CLI in a child process against
 * moto's server mode standing in for SSM, one moto for the whole file, one stage per test. What the CLI
 * stored is read back through the SDK and checked with the functions' own parser (lib/auth/keyRecord.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type KeyRecord, formatKeyRecord, keyStorePath, parseKeyRecord } from '../../lib/auth/keyRecord';
import { type MotoServer, startMoto } from '../../local/src/motoServer';
import { awsCliEnv, type CliRun, runCli, TEST_CREDENTIALS } from '../helpers/awsCli';

const REGION = 'us-east-1';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KEY = /tp_[A-Za-z0-9_-]{43}/g;
/** A whole SHA-256 digest: never in any output, only 8-hex prefixes in legacy names. */
const DIGEST = /[0-9a-f]{64}/i;

let moto: MotoServer;
let home: string;
let ssm: SSMClient;

function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return awsCliEnv({ home, endpoint: moto.endpoint, region: REGION }, overrides);
}

function keys(args: string[], env = cliEnv()): Promise<CliRun> {
  return runCli('scripts/keys.ts', args, env);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function keysIn(text: string): string[] {
  return text.match(KEY) ?? [];
}

function pathOf(stage: string): string {
  return keyStorePath('telemetry-pipeline', stage);
}

/** Every parameter under the stage's store, decrypted, by key id. */
async function stored(stage: string): Promise<Map<string, { type: string | undefined; value: string | undefined }>> {
  const found = new Map<string, { type: string | undefined; value: string | undefined }>();
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParametersByPathCommand({ Path: pathOf(stage), WithDecryption: true, NextToken, MaxResults: 10 }),
    );
    for (const p of page.Parameters ?? [])
      found.set((p.Name ?? '').split('/').pop() ?? '', { type: p.Type, value: p.Value });
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

async function record(stage: string, id: string): Promise<KeyRecord> {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: pathOf(stage) + id, WithDecryption: true }));
  const parsed = parseKeyRecord(Parameter?.Name ?? '', Parameter?.Value);
  if (!parsed.ok) throw new Error(`${id}: ${parsed.problem}`);
  return parsed.record;
}

async function exists(stage: string, id: string): Promise<boolean> {
  return (await stored(stage)).has(id);
}

function randomId(): string {
  return `key_${randomBytes(6).toString('hex')}`;
}

/** A record put straight into SSM, as another operator's earlier run would have left it. */
async function seed(stage: string, fields: Partial<KeyRecord> = {}): Promise<KeyRecord> {
  const full: KeyRecord = {
    id: randomId(),
    tenant: 'acme',
    name: 'seeded',
    hash: sha256(randomBytes(16).toString('hex')),
    createdAt: new Date().toISOString(),
    expiresAt: null,
    ...fields,
  };
  await ssm.send(
    new PutParameterCommand({ Name: pathOf(stage) + full.id, Value: formatKeyRecord(full), Type: 'SecureString' }),
  );
  return full;
}

/** What no run may ever print: a whole digest, or a key other than the one it just made. */
function expectNoSecrets(run: CliRun, allowedKey?: string): void {
  const all = run.stdout + run.stderr;
  expect(all).not.toMatch(DIGEST);
  expect(keysIn(all).filter((key) => key !== allowedKey)).toEqual([]);
  if (allowedKey) {
    // Exactly once, on stdout.
    expect(keysIn(run.stdout)).toEqual([allowedKey]);
    expect(run.stderr).not.toContain(allowedKey);
  }
}

function parseJson<T>(run: CliRun): T {
  return JSON.parse(run.stdout) as T;
}

beforeAll(async () => {
  moto = await startMoto();
  home = await mkdtemp(path.join(os.tmpdir(), 'keys-test-home-'));
  ssm = new SSMClient({ endpoint: moto.endpoint, region: REGION, credentials: TEST_CREDENTIALS });
});

afterAll(async () => {
  ssm?.destroy();
  await moto?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('npm run keys', () => {
  it('create stores a SecureString record of the key SHA-256, tagged, and prints the key once (text and --json)', async () => {
    const before = Date.now();
    const run = await keys([
      'create',
      '--stage',
      'made',
      '--tenant',
      'acme',
      '--name',
      'ci runner',
      '--expires',
      '30d',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [key] = keysIn(run.stdout);
    expectNoSecrets(run, key);
    expect(run.stdout).toContain('shown only now');
    expect(run.stdout).toContain('within 60 s');

    const parameters = await stored('made');
    expect(parameters.size).toBe(1);
    const [[id, parameter]] = [...parameters] as [[string, { type: string; value: string }]];
    expect(parameter.type).toBe('SecureString');
    expect(run.stdout).toContain(`created ${id} for tenant acme`);
    const saved = await record('made', id);
    expect(saved).toMatchObject({ id, tenant: 'acme', name: 'ci runner', hash: sha256(key as string) });
    const expires = Date.parse(saved.expiresAt as string);
    expect(expires).toBeGreaterThanOrEqual(before + 30 * DAY);
    expect(expires).toBeLessThanOrEqual(Date.now() + 30 * DAY);
    expect(Date.parse(saved.createdAt)).toBeGreaterThanOrEqual(before);

    const name = pathOf('made') + id;
    const { Parameters: described } = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }),
    );
    expect(described?.[0]?.Description).toBe(`API key ${id} of tenant acme (npm run keys)`);
    const { TagList } = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
    expect(Object.fromEntries((TagList ?? []).map((tag) => [tag.Key, tag.Value]))).toEqual({
      service: 'telemetry-pipeline',
      stage: 'made',
      tenant: 'acme',
    });

    const json = await keys([
      'create',
      '--stage',
      'made',
      '--tenant',
      'beta',
      '--name',
      'svc',
      '--expires',
      '2031-05-01T12:00:00Z',
      '--json',
    ]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    const made = parseJson<Record<string, unknown>>(json);
    expect(Object.keys(made).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'key', 'name', 'tenant']);
    expect(made).toMatchObject({ tenant: 'beta', name: 'svc', expiresAt: '2031-05-01T12:00:00.000Z' });
    expectNoSecrets(json, made.key as string);
    expect((await record('made', made.id as string)).hash).toBe(sha256(made.key as string));
  });

  it('list shows id, tenant, name, created, expires and state, never a hash, as a table and as JSON', async () => {
    const now = Date.now();
    const active = await seed('listed', { name: 'ci', createdAt: new Date(now - 3 * DAY).toISOString() });
    const expiring = await seed('listed', { name: 'old', expiresAt: new Date(now + 5 * HOUR + 60_000).toISOString() });
    const expired = await seed('listed', {
      tenant: 'beta',
      name: 'gone',
      expiresAt: new Date(now - DAY).toISOString(),
    });
    const unreadableId = randomId();
    await ssm.send(
      new PutParameterCommand({
        Name: pathOf('listed') + unreadableId,
        Value: 'tp_pasted-here-by-mistake-0123456789abcdefghijklmnopq',
        Type: 'SecureString',
      }),
    );

    const table = await keys(['list', '--stage', 'listed']);
    expect(table.code).toBe(0);
    expectNoSecrets(table);
    expect(table.stdout).not.toContain('pasted-here');
    const line = (id: string): string => table.stdout.split('\n').find((row) => row.includes(id)) ?? '';
    expect(line(active.id)).toMatch(/acme\s+│ ci\s+│ \S+ \(3d\)\s+│ never\s+│ active/);
    expect(line(expiring.id)).toMatch(/│ old\s+│.*\(in 5h\)\s+│ active/);
    expect(line(expired.id)).toMatch(/beta\s+│ gone\s+│.*\(1d ago\)\s+│ expired/);
    expect(line(unreadableId)).toContain('unreadable: the value is not JSON');
    expect(table.stdout).toContain('4 keys: 2 active, 1 expired, 1 unreadable');

    const json = await keys(['list', '--stage', 'listed', '--json']);
    expect(json.code).toBe(0);
    expectNoSecrets(json);
    const rows = parseJson<Array<Record<string, unknown>>>(json);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).not.toHaveProperty('hash');
    expect(rows).toContainEqual({ ...active, hash: undefined, state: 'active' });
    expect(rows).toContainEqual(expect.objectContaining({ id: expired.id, state: 'expired' }));
    expect(rows).toContainEqual({
      id: unreadableId,
      parameter: pathOf('listed') + unreadableId,
      state: 'unreadable',
      problem: 'the value is not JSON',
    });

    // A tenant's keys, and the unreadable record, whose tenant nobody knows.
    const beta = parseJson<Array<{ id: string }>>(
      await keys(['list', '--stage', 'listed', '--tenant', 'beta', '--json']),
    );
    expect(beta.map((row) => row.id).sort()).toEqual([expired.id, unreadableId].sort());
  });

  it('rejects bad flags with exit 2 and a message that names the problem (never quoting a key), storing nothing', async () => {
    const pasted = `tp_${randomBytes(32).toString('base64url')}`;
    const create = ['create', '--stage', 'bad'];
    const cases: Array<[string[], string]> = [
      [[...create, '--tenant', 'Acme', '--name', 'x'], '--tenant must be 1-63 lowercase letters, digits and dashes'],
      [[...create, '--tenant', 'acme', '--name', 'x'.repeat(65)], '--name must be 1-64 printable ASCII characters'],
      [[...create, '--tenant', 'acme', '--name', 'bell\u0007'], '--name must be 1-64 printable ASCII characters'],
      [[...create, '--tenant', 'acme', '--name', 'x', '--expires', '5x'], '--expires must be an ISO 8601 time'],
      [[...create, '--tenant', 'acme', '--name', 'x', '--expires', '2020-01-01T00:00:00Z'], '--expires is in the past'],
      [[...create, '--name', 'x'], '--tenant <tenant> is required'],
      [['rotate', '--stage', 'bad', '--key', 'key_0123456789ab', '--overlap', 'soon'], '--overlap must be a duration'],
      [['revoke', '--stage', 'bad', '--key', pasted], '--key takes a key id as `list` shows it'],
      [['list', '--stage', 'bad', '--name', 'x'], '--name does not apply to list'],
      [['list'], 'say where: --stage <name>, or --local'],
      [['delete', '--stage', 'bad'], 'unknown command "delete"'],
    ];
    const runs = await Promise.all(cases.map(([args]) => keys(args)));
    runs.forEach((run, i) => {
      const [, message] = cases[i] as [string[], string];
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: expect.stringContaining(message) });
      expect(run.stderr).toMatch(/^keys: .*\(see --help\)\n$/);
      expect(run.stdout + run.stderr).not.toContain(pasted);
    });
    expect((await stored('bad')).size).toBe(0);

    const help = await keys(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run keys -- <command>');
  });

  it('rotate makes a key of the same tenant and name and expires the old one after the overlap, or deletes it with 0', async () => {
    const first = await keys(['create', '--stage', 'rot', '--tenant', 'acme', '--name', 'checkout', '--json']);
    const old = parseJson<{ id: string; key: string }>(first);

    const before = Date.now();
    const rotated = await keys(['rotate', '--stage', 'rot', '--key', old.id, '--overlap', '2h', '--json']);
    expect(rotated.code).toBe(0);
    const made = parseJson<{ id: string; key: string; replaces: string; replacedUntil: string }>(rotated);
    expectNoSecrets(rotated, made.key);
    expect(made.replaces).toBe(old.id);
    const fresh = await record('rot', made.id);
    expect(fresh).toMatchObject({ tenant: 'acme', name: 'checkout', hash: sha256(made.key), expiresAt: null });
    const retired = await record('rot', old.id);
    expect(retired.expiresAt).toBe(made.replacedUntil);
    expect(Date.parse(made.replacedUntil)).toBeGreaterThanOrEqual(before + 2 * HOUR);
    expect(Date.parse(made.replacedUntil)).toBeLessThanOrEqual(Date.now() + 2 * HOUR);
    expect(retired.hash).toBe(sha256(old.key));

    // An earlier expiry than now + overlap stands.
    const soon = await seed('rot', { expiresAt: new Date(Date.now() + HOUR).toISOString() });
    const kept = await keys(['rotate', '--stage', 'rot', '--key', soon.id]);
    expect(kept.code).toBe(0);
    expectNoSecrets(kept, keysIn(kept.stdout)[0]);
    expect(kept.stdout).toContain(`${soon.id} keeps its earlier expiry: it stops working at ${soon.expiresAt}`);
    expect((await record('rot', soon.id)).expiresAt).toBe(soon.expiresAt);

    const now = await keys(['rotate', '--stage', 'rot', '--key', made.id, '--overlap', '0']);
    expect(now.code).toBe(0);
    const [key] = keysIn(now.stdout);
    expectNoSecrets(now, key);
    expect(now.stdout).toContain(`${made.id} is revoked (deleted)`);
    expect(await exists('rot', made.id)).toBe(false);
    const successor = [...(await stored('rot')).keys()].filter((id) => ![old.id, soon.id].includes(id));
    expect(successor).toHaveLength(2);
  });

  it('revoke deletes a key, says so for an unknown id, and keeps the last active key unless --force', async () => {
    const a = await seed('rev');
    const b = await seed('rev');
    const expired = await seed('rev', { expiresAt: new Date(Date.now() - HOUR).toISOString() });

    const unknown = await keys(['revoke', '--stage', 'rev', '--key', 'key_ffffffffffff']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('keys: no key key_ffffffffffff in /telemetry-pipeline/rev/api-keys/');

    const revoked = await keys(['revoke', '--stage', 'rev', '--key', a.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${a.id} (tenant acme, name "seeded")`);
    expectNoSecrets(revoked);
    expect(await exists('rev', a.id)).toBe(false);

    // The expired key does not count as one a client could still use.
    const last = await keys(['revoke', '--stage', 'rev', '--key', b.id]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain(`refusing to revoke ${b.id}: it is the last active key`);
    expect(last.stderr).toContain('every client of the stage would be refused');
    expect(await exists('rev', b.id)).toBe(true);

    const forced = await keys(['revoke', '--stage', 'rev', '--key', b.id, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(parseJson(forced)).toEqual({ id: b.id, tenant: 'acme', name: 'seeded', revoked: true });
    expect([...(await stored('rev')).keys()]).toEqual([expired.id]);
  });

  it('import-legacy makes one default-tenant record per hash not yet in the store, and nothing the second time', async () => {
    const [h1, h2, h3] = ['one', 'two', 'three'].map(sha256) as [string, string, string];
    await ssm.send(
      new PutParameterCommand({
        Name: '/telemetry-pipeline/legacy/api-key-hashes',
        Value: `${h1},${h2.toUpperCase()},${h3},${h2}`,
        Type: 'String',
      }),
    );
    const present = await seed('legacy', { hash: h1, tenant: 'acme', name: 'moved already' });

    const run = await keys(['import-legacy', '--stage', 'legacy']);
    expect(run.code).toBe(0);
    expectNoSecrets(run);
    expect(run.stdout).toContain('3 hashes; imported 2, 1 already in the store');
    expect(run.stdout).toContain(
      'aws ssm delete-parameter --name /telemetry-pipeline/legacy/api-key-hashes --region us-east-1',
    );
    const records = await Promise.all([...(await stored('legacy')).keys()].map((id) => record('legacy', id)));
    expect(records).toHaveLength(3);
    const imported = records.filter((r) => r.id !== present.id);
    expect(imported.map(({ tenant, name, hash, expiresAt }) => ({ tenant, name, hash, expiresAt }))).toEqual(
      expect.arrayContaining([
        { tenant: 'default', name: `legacy-${h2.slice(0, 8)}`, hash: h2, expiresAt: null },
        { tenant: 'default', name: `legacy-${h3.slice(0, 8)}`, hash: h3, expiresAt: null },
      ]),
    );

    const again = await keys(['import-legacy', '--stage', 'legacy', '--json']);
    expect(again.code).toBe(0);
    expect(parseJson(again)).toEqual({
      parameter: '/telemetry-pipeline/legacy/api-key-hashes',
      hashes: 3,
      imported: [],
      alreadyInStore: 3,
    });
    expect((await stored('legacy')).size).toBe(3);

    const none = await keys(['import-legacy', '--stage', 'nolegacy']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no parameter /telemetry-pipeline/nolegacy/api-key-hashes');
  });

  it('refuses a key beyond 200 per stage, saying why; list reads all 200 (pages of 10)', async () => {
    const seeds = Array.from({ length: 200 }, (_, i) => i);
    for (let i = 0; i < seeds.length; i += 20) await Promise.all(seeds.slice(i, i + 20).map(() => seed('full')));

    const [create, legacy, list] = await Promise.all([
      keys(['create', '--stage', 'full', '--tenant', 'acme', '--name', 'one too many']),
      (async () => {
        await ssm.send(
          new PutParameterCommand({
            Name: '/telemetry-pipeline/full/api-key-hashes',
            Value: sha256('x'),
            Type: 'String',
          }),
        );
        return keys(['import-legacy', '--stage', 'full']);
      })(),
      keys(['list', '--stage', 'full', '--json']),
    ]);
    for (const refused of [create, legacy]) {
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('holds 200 key parameters');
      expect(refused.stderr).toContain('the limit of 200 per stage');
      expect(refused.stderr).toContain('ceil(keys/10) GetParametersByPath calls per container per minute');
      expectNoSecrets(refused);
    }
    expect(list.code).toBe(0);
    expect(parseJson<unknown[]>(list)).toHaveLength(200);
    expect((await stored('full')).size).toBe(200);
  });

  it('--local works on the store the stack file names, and says to run `npm start` without one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keys-test-stack-'));
    try {
      const stackFile = path.join(dir, 'stack.json');
      const apiKeysPath = '/telemetry-pipeline/local/api-keys/';
      await writeFile(stackFile, JSON.stringify({ ssmEndpoint: moto.endpoint, region: REGION, apiKeysPath }));
      const incomplete = path.join(dir, 'old-stack.json');
      await writeFile(incomplete, JSON.stringify({ region: REGION }));
      // Nothing of AWS's in the environment: the stack file says it all.
      const env = cliEnv({
        AWS_ENDPOINT_URL: undefined,
        AWS_REGION: undefined,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
      });
      const [created, missing, old, mixed] = await Promise.all([
        keys(['create', '--local', '--stack', stackFile, '--tenant', 'dev', '--name', 'me', '--json'], env),
        keys(['list', '--local', '--stack', path.join(dir, 'absent.json')], env),
        keys(['list', '--local', '--stack', incomplete], env),
        keys(['list', '--local', '--stage', 'dev'], env),
      ]);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const made = parseJson<{ id: string; key: string }>(created);
      expect((await record('local', made.id)).hash).toBe(sha256(made.key));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('is `npm start` running?');
      expect(old.code).toBe(2);
      expect(old.stderr).toContain('has no ssmEndpoint, apiKeysPath: is `npm start` running');
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toContain('--local reads the local stack file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
