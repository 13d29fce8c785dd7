/**
 * `npm run replay -- --stage` (scripts/replay.ts) finding a deployed stage: the real CLI in a child
 * process against moto's server mode, where a minimal stack stands in for a deployed one (its
 * dead-letter queue and the DeadLetterQueueUrl output the CLI looks up).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { awsCliEnv, type CliRun, runCli, TEST_CREDENTIALS } from '../helpers/awsCli';
import { type MotoServer, startMoto } from '../../local/src/motoServer';

const STACK_REGION = 'eu-west-1';
const OTHER_REGION = 'us-west-2';
const ACCOUNT = '123456789012';
const credentials = TEST_CREDENTIALS;

let moto: MotoServer;
let home: string;

function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return awsCliEnv({ home, endpoint: moto.endpoint, region: OTHER_REGION }, { AWS_ACCOUNT_ID: ACCOUNT, ...overrides });
}

function replay(args: string[], env = cliEnv()): Promise<CliRun> {
  return runCli('scripts/replay.ts', args, env);
}

const TEMPLATE = JSON.stringify({
  Resources: {
    DeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'telemetry-pipeline-rehearsal-dlq' } },
  },
  Outputs: { DeadLetterQueueUrl: { Value: { Ref: 'DeadLetterQueue' } } },
});

beforeAll(async () => {
  moto = await startMoto();
  home = await mkdtemp(path.join(os.tmpdir(), 'replay-cli-test-home-'));
  const cloudFormation = new CloudFormationClient({ endpoint: moto.endpoint, region: STACK_REGION, credentials });
  try {
    await cloudFormation.send(
      new CreateStackCommand({ StackName: 'telemetry-pipeline-rehearsal', TemplateBody: TEMPLATE }),
    );
    for (let i = 0; i < 50; i += 1) {
      const { Stacks = [] } = await cloudFormation.send(
        new DescribeStacksCommand({ StackName: 'telemetry-pipeline-rehearsal' }),
      );
      if (Stacks[0]?.StackStatus === 'CREATE_COMPLETE') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the rehearsal stack was not created within 5 s');
  } finally {
    cloudFormation.destroy();
  }
});

afterAll(async () => {
  await moto?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('npm run replay -- --stage', () => {
  it('says which stack it did not find, in which region and account, and what to do', async () => {
    const run = await replay(['--stage', 'ghost'], cliEnv({ AWS_REGION: STACK_REGION }));
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `replay: stack telemetry-pipeline-ghost not found in ${STACK_REGION} (account ${ACCOUNT}): ` +
        'deploy the stage, or pass --region/--profile for where it is',
    );
  });

  it('looks in the --region given, not in AWS_REGION', async () => {
    const elsewhere = await replay(['--stage', 'rehearsal', '--dry-run', '--json']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`stack telemetry-pipeline-rehearsal not found in ${OTHER_REGION}`);

    const found = await replay(['--stage', 'rehearsal', '--region', STACK_REGION, '--dry-run', '--json']);
    expect(found.stderr).toBe('');
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ dryRun: true, messagesSeen: 0, stoppedBecause: 'drained' });
  });

  it("takes the profile's region when neither --region nor AWS_REGION is given", async () => {
    await writeFile(path.join(home, 'config'), `[profile ops]\nregion = ${STACK_REGION}\n`);
    await writeFile(
      path.join(home, 'credentials'),
      '[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n',
    );
    const run = await replay(
      ['--stage', 'rehearsal', '--profile', 'ops', '--dry-run', '--json'],
      cliEnv({ AWS_REGION: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ messagesSeen: 0 });

    const none = await replay(['--stage', 'rehearsal'], cliEnv({ AWS_REGION: undefined }));
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(
      'replay: no AWS region: pass --region, set AWS_REGION or give the profile a region',
    );
  });
});
