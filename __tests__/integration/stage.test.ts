/**
 * `npm run stage` (scripts/stage.ts) as an operator runs it: the real CLI in a child process against
 * moto's server mode, which stands in for SSM (the key store), Secrets Manager and KMS.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { formatKeyRecord, type KeyRecord, parseKeyRecord } from '../../lib/auth/keyRecord';
import { awsCliEnv, type CliRun, runCli, TEST_CREDENTIALS } from '../helpers/awsCli';
import { type MotoServer, MotoStartError, startMoto } from '../../local/src/motoServer';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const credentials = TEST_CREDENTIALS;
const KEY = /tp_[A-Za-z0-9_-]{43}/g;

let moto: MotoServer;
let home: string;
let ssm: SSMClient;
let secrets: SecretsManagerClient;

function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return awsCliEnv({ home, endpoint: moto.endpoint, region: REGION }, { ...overrides });
}

function stage(args: string[], env = cliEnv()): Promise<CliRun> {
  return runCli('scripts/stage.ts', args, env);
}

/** The stage's key store as the functions read it: every record under its path, parsed. */
async function keyRecords(stage: string): Promise<Array<{ type: string | undefined; record: KeyRecord }>> {
  const { Parameters = [] } = await ssm.send(
    new GetParametersByPathCommand({ Path: `/telemetry-pipeline/${stage}/api-keys/`, WithDecryption: true }),
  );
  return Parameters.map((p) => {
    const parsed = parseKeyRecord(p.Name ?? '', p.Value);
    if (!parsed.ok) throw new Error(`${p.Name}: ${parsed.problem}`);
    return { type: p.Type, record: parsed.record };
  });
}

async function putRecordValue(stage: string, id: string, value: string): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: `/telemetry-pipeline/${stage}/api-keys/${id}`,
      Value: value,
      Type: 'SecureString',
    }),
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function keysIn(output: string): string[] {
  return output.match(KEY) ?? [];
}

async function createSecret(name: string, value: Record<string, unknown>, kmsKeyId?: string): Promise<void> {
  await secrets.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: JSON.stringify(value),
      ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
    }),
  );
}

/** A customer-managed key; no KMS client is installed, and moto takes the JSON protocol call as it comes. */
async function createKmsKey(): Promise<string> {
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: 'stage test CMK' }),
  });
  const body = (await response.json()) as { KeyMetadata: { KeyId: string } };
  return body.KeyMetadata.KeyId;
}

const VALID_SECRET = { host: 'db.internal', port: 5432, username: 'app', password: 'pw', dbname: 'telemetry' };

beforeAll(async () => {
  moto = await startMoto();
  home = await mkdtemp(path.join(os.tmpdir(), 'stage-test-home-'));
  const client = { endpoint: moto.endpoint, region: REGION, credentials };
  ssm = new SSMClient(client);
  secrets = new SecretsManagerClient(client);
});

afterAll(async () => {
  ssm?.destroy();
  secrets?.destroy();
  await moto?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('npm run stage', () => {
  it('init stores the first key in the key store and prints it once; a second init creates nothing; check passes', async () => {
    await createSecret('telemetry-pipeline/fresh/database', VALID_SECRET);

    const first = await stage(['init', '--stage', 'fresh']);
    expect(first.code).toBe(0);
    const [key, ...others] = keysIn(first.stdout);
    expect(key).toBeDefined();
    expect(others).toEqual([]);
    expect(first.stdout).toContain('shown only now');
    expect(first.stdout).toMatch(/API keys\s+│ created\s+│ SSM \/telemetry-pipeline\/fresh\/api-keys\/: created key_/);
    const stored = await keyRecords('fresh');
    expect(stored).toEqual([
      {
        type: 'SecureString',
        record: expect.objectContaining({
          tenant: 'default',
          name: 'first',
          hash: sha256(key as string),
          expiresAt: null,
        }),
      },
    ]);
    expect(first.stdout).toContain(stored[0]?.record.id);
    expect(first.stdout + first.stderr).not.toMatch(/[0-9a-f]{64}/);

    const second = await stage(['init', '--stage', 'fresh']);
    expect(second.code).toBe(0);
    expect(keysIn(second.stdout)).toEqual([]);
    expect(second.stdout).not.toContain('created');
    expect(second.stdout).toMatch(
      /API keys\s+│ ok\s+│ SSM \/telemetry-pipeline\/fresh\/api-keys\/: 1 key: 1 active \(tenants default\)/,
    );
    expect(await keyRecords('fresh')).toEqual(stored);

    const check = await stage(['check', '--stage', 'fresh']);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/database secret\s+│ ok/);
    // Keys need no deploy of their own, hence no --force.
    expect(check.stdout).toMatch(/ready to deploy: serverless deploy --stage fresh --region eu-west-1\n/);
    expect(check.stdout).not.toContain('"pw"');
  });

  it('check creates nothing and fails (exit 1) without the secret, showing its expected shape and how to create it', async () => {
    const check = await stage(['check', '--stage', 'bare']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/API keys\s+│ missing\s+│ SSM \/telemetry-pipeline\/bare\/api-keys\/: no key/);
    expect(check.stdout).toContain('npm run keys -- create --stage bare --region eu-west-1 --tenant <T> --name <N>');
    expect(check.stdout).toMatch(/database secret\s+│ missing/);
    expect(check.stdout).toContain('"password": "<password>"');
    expect(check.stdout).toContain('"dbname": "<database name>"');
    expect(check.stdout).toContain(
      'aws secretsmanager create-secret --name telemetry-pipeline/bare/database --secret-string file://db.json --region eu-west-1',
    );
    expect(await keyRecords('bare')).toEqual([]);

    // With the key made by init, the missing secret alone still fails the check.
    expect((await stage(['init', '--stage', 'bare'])).code).toBe(1);
    const again = await stage(['check', '--stage', 'bare']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/API keys\s+│ ok/);
    expect(again.stdout).toMatch(/database secret\s+│ missing/);
  });

  it('reports a secret without a password as invalid without printing any of its values', async () => {
    await createSecret('telemetry-pipeline/broken/database', {
      host: 'host-value-not-for-logs',
      port: 5432,
      username: 'user-value-not-for-logs',
      dbname: 'dbname-value-not-for-logs',
    });
    const check = await stage(['check', '--stage', 'broken']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/database secret\s+│ invalid\s+│ telemetry-pipeline\/broken\/database: not in RDS/);
    expect(check.stdout).toContain('no password');
    expect(check.stdout + check.stderr).not.toMatch(/not-for-logs/);
  });

  it('names the param databaseSecretKmsKeyArn with the key ARN for a secret under a customer-managed KMS key', async () => {
    const keyId = await createKmsKey();
    await createSecret('telemetry-pipeline/cmk/database', VALID_SECRET, keyId);
    const init = await stage(['init', '--stage', 'cmk']);
    expect(init.code).toBe(0);
    const param = `databaseSecretKmsKeyArn=arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
    expect(init.stdout).toMatch(/secret encryption\s+│ ok\s+│ customer-managed KMS key/);
    expect(init.stdout).toContain(`--param="${param}"`);

    // The AWS-managed default needs no grant and no param.
    await createSecret('telemetry-pipeline/plain/database', VALID_SECRET);
    const plain = await stage(['init', '--stage', 'plain']);
    expect(plain.stdout).toMatch(/secret encryption\s+│ ok\s+│ AWS-managed key/);
    expect(plain.stdout).not.toContain('databaseSecretKmsKeyArn');
  });

  it('init --tenant names the first key tenant; check fails on unreadable records and on expired keys only; add-key and revoke-key moved', async () => {
    const init = await stage(['init', '--stage', 'tenanted', '--database', 'managed', '--tenant', 'acme']);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/database secret\s+│ ok\s+│ not checked \(--database managed\)/);
    expect(init.stdout).toContain('--param="database=managed"');
    const [key] = keysIn(init.stdout);
    expect((await keyRecords('tenanted')).map(({ record }) => record)).toEqual([
      expect.objectContaining({ tenant: 'acme', name: 'first', hash: sha256(key as string) }),
    ]);

    // A stage whose only key has expired, beside a record nobody can read: nothing a client could use.
    const expired: KeyRecord = {
      id: 'key_00000000000e',
      tenant: 'acme',
      name: 'ci',
      hash: sha256('old key'),
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-02-01T00:00:00.000Z',
    };
    await putRecordValue('lapsed', expired.id, formatKeyRecord(expired));
    await putRecordValue('lapsed', 'key_0000000000bd', '{"v":1,"tenant":"value-not-for-logs"}');
    const check = await stage(['check', '--stage', 'lapsed', '--database', 'managed']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(
      /API keys\s+│ missing\s+│ SSM \/telemetry-pipeline\/lapsed\/api-keys\/: no active key/,
    );
    // The table wraps the detail; unwrapped, it counts what is there.
    expect(check.stdout.replace(/\s*│\s*\n│[\s│]*/g, ' ')).toContain('(2 keys: 0 active, 1 expired, 1 unreadable)');
    expect(check.stdout).toMatch(
      /API key record\s+│ invalid\s+│ SSM \/telemetry-pipeline\/lapsed\/api-keys\/key_0000000000bd:/,
    );
    expect(check.stdout).toContain('npm run keys -- revoke --stage lapsed --region eu-west-1 --key key_0000000000bd');
    expect(check.stdout + check.stderr).not.toMatch(/not-for-logs/);

    // init makes a key where none is active, and the unreadable record still fails the check.
    const lapsedInit = await stage(['init', '--stage', 'lapsed', '--database', 'managed']);
    expect(lapsedInit.code).toBe(1);
    expect(keysIn(lapsedInit.stdout)).toHaveLength(1);
    expect(lapsedInit.stdout).toMatch(/API keys\s+│ created/);
    expect(lapsedInit.stdout).toMatch(/API key record\s+│ invalid/);

    const [addKey, revokeKey, badTenant] = await Promise.all([
      stage(['add-key', '--stage', 'tenanted']),
      stage(['revoke-key', '--stage', 'tenanted', '--hash', 'ab12cd34']),
      stage(['init', '--stage', 'tenanted', '--tenant', 'ACME']),
    ]);
    expect(addKey.code).toBe(2);
    expect(addKey.stderr).toContain('add-key moved to the keys CLI: npm run keys -- create --stage <name>');
    expect(revokeKey.code).toBe(2);
    expect(revokeKey.stderr).toContain('revoke-key moved to the keys CLI: npm run keys -- revoke --stage <name>');
    expect(badTenant.code).toBe(2);
    expect(badTenant.stderr).toContain('--tenant must be 1-63 lowercase letters');
    expect(await keyRecords('tenanted')).toHaveLength(1);
  });

  it('without a region says how to give one, in one line and without a stack', async () => {
    const run = await stage(['check', '--stage', 'anywhere'], cliEnv({ AWS_REGION: undefined }));
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('stage: no AWS region: pass --region, set AWS_REGION or give the profile a region');
  });

  it("takes the region and the credentials from --profile's entries in ~/.aws", async () => {
    await createSecret('telemetry-pipeline/profiled/database', VALID_SECRET);
    expect((await stage(['init', '--stage', 'profiled'])).code).toBe(0);
    await writeFile(path.join(home, 'config'), '[profile ops]\nregion = eu-west-1\n');
    await writeFile(
      path.join(home, 'credentials'),
      `[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\naws_account_id = ${ACCOUNT}\n`,
    );
    const env = cliEnv({ AWS_REGION: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    const run = await stage(['check', '--stage', 'profiled', '--profile', 'ops'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`stage profiled in eu-west-1 (account ${ACCOUNT})`);
    expect(run.stdout).toContain('serverless deploy --stage profiled --region eu-west-1 --aws-profile ops');
  });
});

describe('startMoto', () => {
  it('fails with what to install and the output of a server that did not start', async () => {
    const failure = startMoto({ args: ['-c', 'import moto_module_that_is_not_there'] });
    await expect(failure).rejects.toBeInstanceOf(MotoStartError);
    await expect(failure).rejects.toThrow(/python3 cannot import moto_module_that_is_not_there .*pip install/);
  });

  it('says so when there is no python3', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startMoto()).rejects.toThrow(/python3 is not on PATH/);
    } finally {
      process.env.PATH = path;
    }
  });
});
