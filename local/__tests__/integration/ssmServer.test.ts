/**
 * The local SSM stand-in (local/src/ssmServer.ts) held to one contract with moto, the reference: the same
 * suite, through the real `@aws-sdk/client-ssm`, against both. Where moto and AWS differ, the stand-in
 * follows AWS; those cases run against the stand-in alone and their names say what moto does instead.
 */
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  type Parameter,
  PutParameterCommand,
  paginateGetParametersByPath,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { startMoto } from '../../src/motoServer';
import { type SsmServer, startSsmServer } from '../../src/ssmServer';

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

interface Server {
  endpoint: string;
  stop(): Promise<void>;
}

function client(endpoint: string): SSMClient {
  // One attempt: a 500 from either server should fail the test, not be retried into a timeout.
  return new SSMClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
}

async function put(ssm: SSMClient, name: string, value: string, type: 'String' | 'SecureString' = 'String') {
  return ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: type }));
}

async function byPath(
  ssm: SSMClient,
  path: string,
  recursive: boolean,
  pageSize?: number,
): Promise<{ pages: Parameter[][]; parameters: Parameter[] }> {
  const pages: Parameter[][] = [];
  const paginator = paginateGetParametersByPath(
    { client: ssm, ...(pageSize ? { pageSize } : {}) },
    { Path: path, Recursive: recursive, WithDecryption: true },
  );
  for await (const page of paginator) pages.push(page.Parameters ?? []);
  const parameters = pages.flat().sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
  return { pages, parameters };
}

const record = (i: number): string => JSON.stringify({ v: 1, tenant: 'acme', name: `key ${i}`, hash: 'a'.repeat(64) });

describe.each<[string, () => Promise<Server>]>([
  ['moto', () => startMoto()],
  ['the local stand-in', () => startSsmServer()],
])('SSM contract against %s', (_label, start) => {
  let server: Server | undefined;
  let ssm: SSMClient;
  // One server for the suite: each test works under a path of its own.
  let tests = 0;
  const fresh = (): string => `/contract/t${(tests += 1)}`;

  beforeAll(async () => {
    server = await start();
    ssm = client(server.endpoint);
  }, 30_000);
  afterAll(async () => {
    ssm?.destroy();
    await server?.stop();
  });

  it('puts, gets and overwrites a parameter, counting versions from 1', async () => {
    const name = `${fresh()}/setting`;
    expect(await put(ssm, name, 'one')).toMatchObject({ Version: 1, Tier: 'Standard' });
    const first = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
    expect(first).toMatchObject({
      Name: name,
      Type: 'String',
      Value: 'one',
      Version: 1,
      ARN: `arn:aws:ssm:${REGION}:123456789012:parameter${name}`,
      DataType: 'text',
    });
    expect(Math.abs((first?.LastModifiedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);

    // Overwrite without Type keeps the type; the version goes up by one.
    const second = await ssm.send(new PutParameterCommand({ Name: name, Value: 'two', Overwrite: true }));
    expect(second.Version).toBe(2);
    const got = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
    expect(got).toMatchObject({ Type: 'String', Value: 'two', Version: 2 });
  });

  it('refuses to replace an existing parameter without Overwrite (ParameterAlreadyExists) and keeps the old value', async () => {
    const name = `${fresh()}/setting`;
    await put(ssm, name, 'kept');
    await expect(put(ssm, name, 'lost')).rejects.toMatchObject({
      name: 'ParameterAlreadyExists',
      $metadata: { httpStatusCode: 400 },
    });
    const got = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
    expect(got).toMatchObject({ Value: 'kept', Version: 1 });
  });

  it('answers ParameterNotFound for a get or delete of a missing parameter', async () => {
    const name = `${fresh()}/missing`;
    await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
      message: expect.stringContaining(name),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(ssm.send(new DeleteParameterCommand({ Name: name }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('deletes a parameter, after which it is gone', async () => {
    const name = `${fresh()}/doomed`;
    await put(ssm, name, 'x');
    await expect(ssm.send(new DeleteParameterCommand({ Name: name }))).resolves.toBeDefined();
    await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });

  it('hides a SecureString without WithDecryption (AWS returns ciphertext; moto and the stand-in kms:alias/aws/ssm:<value>)', async () => {
    const name = `${fresh()}/secret`;
    await put(ssm, name, 'plain', 'SecureString');
    const hidden = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
    expect(hidden?.Value).toBe('kms:alias/aws/ssm:plain');
    const shown = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter;
    expect(shown).toMatchObject({ Type: 'SecureString', Value: 'plain' });
  });

  it('GetParameters returns the ones it has and names the ones it has not', async () => {
    const root = fresh();
    await put(ssm, `${root}/a`, 'A', 'SecureString');
    const { Parameters, InvalidParameters } = await ssm.send(
      new GetParametersCommand({ Names: [`${root}/a`, `${root}/nope`], WithDecryption: true }),
    );
    expect(Parameters?.map((p) => [p.Name, p.Value])).toEqual([[`${root}/a`, 'A']]);
    expect(InvalidParameters).toEqual([`${root}/nope`]);
  });

  describe('GetParametersByPath over more than one page', () => {
    let root: string;
    const direct = Array.from({ length: 12 }, (_, i) => `k${String(i + 1).padStart(2, '0')}`);

    beforeAll(async () => {
      root = fresh();
      for (const [i, leaf] of direct.entries()) await put(ssm, `${root}/${leaf}`, record(i), 'SecureString');
      await put(ssm, `${root}/sub/n1`, record(100), 'SecureString');
      await put(ssm, `${root}/sub/deeper/n2`, record(101), 'SecureString');
      // Shares the path's characters but is not below it.
      await put(ssm, `${root}x/outside`, record(102), 'SecureString');
    }, 30_000);

    it.each([false, true])(
      'non-recursive returns only the 12 one level below (trailing slash: %s), decrypted',
      async (slash) => {
        const { pages, parameters } = await byPath(ssm, slash ? `${root}/` : root, false);
        expect(parameters.map((p) => p.Name)).toEqual(direct.map((leaf) => `${root}/${leaf}`));
        expect(parameters.map((p) => p.Value)).toEqual(direct.map((_, i) => record(i)));
        expect(parameters.every((p) => p.Type === 'SecureString' && p.Version === 1)).toBe(true);
        // The default page is 10, so 12 need a NextToken at least once.
        expect(pages.filter((page) => page.length > 0).length).toBeGreaterThanOrEqual(2);
        expect(pages.every((page) => page.length <= 10)).toBe(true);
      },
    );

    it('recursive returns everything below, in pages of at most MaxResults', async () => {
      const { pages, parameters } = await byPath(ssm, root, true, 5);
      expect(parameters.map((p) => p.Name)).toEqual(
        [...direct.map((leaf) => `${root}/${leaf}`), `${root}/sub/deeper/n2`, `${root}/sub/n1`].sort(),
      );
      expect(parameters.find((p) => p.Name === `${root}/sub/deeper/n2`)?.Value).toBe(record(101));
      expect(pages.filter((page) => page.length > 0).length).toBeGreaterThanOrEqual(3);
      expect(pages.every((page) => page.length <= 5)).toBe(true);
    });

    it('refuses MaxResults over 10 (ValidationException)', async () => {
      await expect(
        ssm.send(new GetParametersByPathCommand({ Path: root, MaxResults: 11, WithDecryption: true })),
      ).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    });
  });

  it('DeleteParameters deletes what exists and names what does not', async () => {
    const root = fresh();
    await put(ssm, `${root}/a`, 'A');
    await put(ssm, `${root}/b`, 'B');
    const result = await ssm.send(
      new DeleteParametersCommand({ Names: [`${root}/a`, `${root}/missing`, `${root}/b`] }),
    );
    expect([...(result.DeletedParameters ?? [])].sort()).toEqual([`${root}/a`, `${root}/b`]);
    expect(result.InvalidParameters).toEqual([`${root}/missing`]);
    const after = await ssm.send(new GetParametersCommand({ Names: [`${root}/a`, `${root}/b`] }));
    expect(after.Parameters).toEqual([]);
  });
});

describe('the local stand-in where moto differs from AWS (it follows AWS)', () => {
  let server: SsmServer | undefined;
  let ssm: SSMClient;
  beforeAll(async () => {
    server = await startSsmServer();
    ssm = client(server.endpoint);
  });
  afterAll(async () => {
    ssm?.destroy();
    await server?.stop();
  });

  const raw = (target: string, body: string): Promise<Response> =>
    fetch(server?.endpoint ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    });

  it('listens on 127.0.0.1 only', () => {
    expect(server?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers InvalidNextToken for a token it did not issue, as AWS documents (moto: HTTP 500)', async () => {
    await put(ssm, '/tokens/a', 'A');
    await expect(
      ssm.send(new GetParametersByPathCommand({ Path: '/tokens', NextToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidNextToken', $metadata: { httpStatusCode: 400 } });
  });

  it('refuses a token issued for another path (moto: takes any number as an offset)', async () => {
    for (const leaf of ['a', 'b', 'c']) await put(ssm, `/first/${leaf}`, leaf);
    const page = await ssm.send(new GetParametersByPathCommand({ Path: '/first', MaxResults: 2 }));
    expect(page.NextToken).toEqual(expect.any(String));
    await expect(
      ssm.send(new GetParametersByPathCommand({ Path: '/second', NextToken: page.NextToken })),
    ).rejects.toMatchObject({ name: 'InvalidNextToken' });
  });

  it('refuses MaxResults 0 (moto answers an empty page with NextToken "0", which a paginator follows for ever)', async () => {
    await expect(ssm.send(new GetParametersByPathCommand({ Path: '/any', MaxResults: 0 }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it.each([
    ['a hierarchical name without the leading slash', 'relative/name', 'moto accepts it'],
    ['an empty name', '', 'moto accepts it'],
    ['a name with a space', '/has space', 'moto accepts it'],
    ['a name with an empty level', '/a//b', 'moto accepts it'],
    ['a name prefixed with ssm', '/ssm/reserved', 'as moto does'],
  ])('refuses %s with ValidationException (%s)', async (_what, name) => {
    await expect(put(ssm, name, 'v')).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses a value over 4096 characters in the Standard tier (moto accepts it)', async () => {
    await expect(put(ssm, '/big/value', 'x'.repeat(4097))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(put(ssm, '/big/value', 'x'.repeat(4096))).resolves.toMatchObject({ Version: 1 });
  });

  it('answers an unknown operation with 400 UnknownOperationException naming it (moto: HTTP 500)', async () => {
    const response = await raw('AmazonSSM.Frobnicate', '{}');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { __type: string; message: string };
    expect(body.__type).toBe('UnknownOperationException');
    expect(body.message).toContain('AmazonSSM.Frobnicate');
  });

  it('refuses a request body over 1 MiB with 413 (its own bound, not an SSM one)', async () => {
    const response = await raw('AmazonSSM.GetParameter', JSON.stringify({ Name: 'x'.repeat(1024 * 1024) }));
    expect(response.status).toBe(413);
    await response.body?.cancel();
    // ...and still serves the next request.
    expect((await raw('AmazonSSM.GetParameter', '{"Name":"/nope"}')).status).toBe(400);
  });
});
