/**
 * A local stand-in for AWS Systems Manager Parameter Store, so that the API key store (SecureString
 * parameters read with GetParametersByPath) runs under `npm start` and in tests without an AWS account
 * or Python. It speaks SSM's real wire protocol (awsJson1_1: `POST /`, `X-Amz-Target: AmazonSSM.<Op>`,
 * errors as `{"__type","message"}`), so `@aws-sdk/client-ssm` talks to it unchanged, and
 * local/__tests__/integration/ssmServer.test.ts holds it to the same contract as moto.
 *
 * Models, in memory: PutParameter (versions from 1, Overwrite, AWS's name and 4096-character value
 * limits), GetParameter, GetParameters, GetParametersByPath (one level or recursive, sorted by name,
 * 1-10 per page, opaque tokens), DeleteParameter, DeleteParameters.
 *
 * Does not model: KMS (a SecureString read without WithDecryption comes back as moto returns it,
 * `kms:alias/aws/ssm:<value>`, instead of AWS's ciphertext; KeyId is ignored), IAM and request
 * signatures (any credentials pass), version history, `name:version` selectors, labels, policies,
 * AllowedPattern, ParameterFilters and any tier but Standard. Requests that use the last four are
 * refused rather than half-honoured, so a local run cannot pass on behaviour AWS would not show.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';

export interface SsmServer {
  /** `http://127.0.0.1:<port>`: give it to SDK clients as `endpoint`. */
  endpoint: string;
  /** Closes the server and its connections; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartSsmServerOptions {
  /** Port on 127.0.0.1 (default 0: a free one). */
  port?: number;
}

const HOST = '127.0.0.1';
/** Our bound, not SSM's: the largest real request (10 names, a 4 KB value) is a few KB. */
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_VALUE_LENGTH = 4096; // the Standard tier's limit
const MAX_NAME_LENGTH = 2048;
const MAX_HIERARCHY_DEPTH = 15;
const MAX_PAGE = 10;
const MAX_NAMES = 10;
/** moto's default account, so ARNs look the same against either server. */
const ACCOUNT = '123456789012';
/** What moto returns for an undecrypted SecureString: clearly not the plain value, and not JSON. */
const UNDECRYPTED_PREFIX = 'kms:alias/aws/ssm:';
const TYPES = ['String', 'StringList', 'SecureString'];
/** Fields refused rather than half-honoured, with the one value allowed (undefined: none is). */
const NOT_MODELLED: Record<string, string | undefined> = {
  AllowedPattern: undefined,
  Policies: undefined,
  ParameterFilters: undefined,
  Tier: 'Standard',
  DataType: 'text',
};

interface StoredParameter {
  name: string;
  type: string;
  value: string;
  version: number;
  /** Epoch seconds, as the protocol carries timestamps. */
  modified: number;
}

type Body = Record<string, unknown>;

class SsmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const validation = (message: string): SsmError => new SsmError('ValidationException', message);
const notFound = (name: string): SsmError => new SsmError('ParameterNotFound', `Parameter ${name} not found.`);

function typed(body: Body, key: string, kind: 'string'): string | undefined;
function typed(body: Body, key: string, kind: 'boolean'): boolean | undefined;
function typed(body: Body, key: string, kind: 'number'): number | undefined;
function typed(body: Body, key: string, kind: 'string' | 'boolean' | 'number'): unknown {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  // A field of the wrong JSON type is what AWS's deserializer refuses before the operation runs.
  if (typeof value !== kind) throw new SsmError('SerializationException', `${key} must be a ${kind}`);
  return value;
}

function required(body: Body, key: string): string {
  const value = typed(body, key, 'string');
  if (!value) {
    throw validation(
      `1 validation error detected: Value '' at '${key}' failed to satisfy constraint: Member must have length greater than or equal to 1.`,
    );
  }
  return value;
}

function nameList(body: Body): string[] {
  const names = body.Names;
  if (!Array.isArray(names) || !names.every((name): name is string => typeof name === 'string')) {
    throw new SsmError('SerializationException', 'Names must be a list of strings');
  }
  if (names.length < 1 || names.length > MAX_NAMES) {
    throw validation(
      `1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length between 1 and ${MAX_NAMES}.`,
    );
  }
  return [...new Set(names)];
}

/** AWS's naming rules for a parameter being created (lookups of other names just find nothing). */
function validateName(name: string): void {
  if (name.length > MAX_NAME_LENGTH) throw validation(`Parameter name exceeds ${MAX_NAME_LENGTH} characters.`);
  if (name.includes('/') && !name.startsWith('/')) throw validation('Parameter name must be a fully qualified name.');
  if (!/^[a-zA-Z0-9_.\-/]+$/.test(name) || name.includes('//') || name.endsWith('/') || /^\/?(aws|ssm)/i.test(name)) {
    throw validation(
      'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of ' +
        'sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_',
    );
  }
  if (name.split('/').length - 1 > MAX_HIERARCHY_DEPTH) {
    throw new SsmError(
      'HierarchyLevelLimitExceededException',
      `A hierarchy can have a maximum of ${MAX_HIERARCHY_DEPTH} levels.`,
    );
  }
}

function refuseNotModelled(body: Body): void {
  for (const [key, allowed] of Object.entries(NOT_MODELLED)) {
    const value = body[key];
    if (value !== undefined && value !== allowed) {
      throw validation(`${key} ${JSON.stringify(value)} is not supported by this local SSM stand-in`);
    }
  }
}

interface PageToken {
  prefix: string;
  recursive: boolean;
  after: string;
}

/** Tokens carry the last name returned (not an offset), so a delete between pages skips nothing. */
function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(text: string, prefix: string, recursive: boolean): string {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<PageToken>;
    // A token belongs to the query that produced it, as AWS's do.
    if (token.prefix === prefix && token.recursive === recursive && typeof token.after === 'string') return token.after;
  } catch {
    // not our JSON: refused below
  }
  throw new SsmError('InvalidNextToken', "The specified token isn't valid.");
}

type Operation = (body: Body, store: Map<string, StoredParameter>, region: string) => Body;

function render(parameter: StoredParameter, decrypt: boolean, region: string): Body {
  const secret = parameter.type === 'SecureString' && !decrypt;
  return {
    Name: parameter.name,
    Type: parameter.type,
    Value: secret ? `${UNDECRYPTED_PREFIX}${parameter.value}` : parameter.value,
    Version: parameter.version,
    LastModifiedDate: parameter.modified,
    ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter${parameter.name.startsWith('/') ? '' : '/'}${parameter.name}`,
    DataType: 'text',
  };
}

const operations: Record<string, Operation> = {
  PutParameter(body, store) {
    refuseNotModelled(body);
    const name = required(body, 'Name');
    validateName(name);
    const value = required(body, 'Value');
    if (value.length > MAX_VALUE_LENGTH) {
      throw validation(
        `Standard tier parameters support a maximum parameter value of ${MAX_VALUE_LENGTH} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`,
      );
    }
    const type = typed(body, 'Type', 'string');
    if (type !== undefined && !TYPES.includes(type)) {
      throw validation(
        `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [${TYPES.join(', ')}]`,
      );
    }
    const overwrite = typed(body, 'Overwrite', 'boolean') === true;
    if (overwrite && Array.isArray(body.Tags) && body.Tags.length > 0) {
      throw validation("Invalid request: tags and overwrite can't be used together.");
    }
    const existing = store.get(name);
    if (existing && !overwrite) {
      throw new SsmError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const parameterType = type ?? existing?.type;
    if (!parameterType) throw validation('A parameter type is required when you create a parameter.');
    const version = (existing?.version ?? 0) + 1;
    store.set(name, { name, type: parameterType, value, version, modified: Date.now() / 1000 });
    return { Version: version, Tier: 'Standard' };
  },

  GetParameter(body, store, region) {
    const name = required(body, 'Name');
    const parameter = store.get(name);
    if (!parameter) throw notFound(name);
    return { Parameter: render(parameter, typed(body, 'WithDecryption', 'boolean') === true, region) };
  },

  GetParameters(body, store, region) {
    const names = nameList(body);
    const decrypt = typed(body, 'WithDecryption', 'boolean') === true;
    const found = names.flatMap((name) => store.get(name) ?? []);
    return {
      Parameters: found.map((parameter) => render(parameter, decrypt, region)),
      InvalidParameters: names.filter((name) => !store.has(name)),
    };
  },

  GetParametersByPath(body, store, region) {
    refuseNotModelled(body);
    const path = required(body, 'Path');
    if (!path.startsWith('/')) throw validation('The path must begin with a forward slash "/".');
    const recursive = typed(body, 'Recursive', 'boolean') === true;
    const decrypt = typed(body, 'WithDecryption', 'boolean') === true;
    const max = typed(body, 'MaxResults', 'number') ?? MAX_PAGE;
    if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
      throw validation(
        `1 validation error detected: Value ${max} at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${MAX_PAGE}`,
      );
    }
    // `/a` and `/a/` name the same hierarchy; `/ab` is not below `/a`.
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const token = typed(body, 'NextToken', 'string');
    const after = token === undefined ? undefined : decodeToken(token, prefix, recursive);
    const names = [...store.keys()]
      .filter((name) => name.startsWith(prefix) && (recursive || !name.slice(prefix.length).includes('/')))
      .filter((name) => after === undefined || name > after)
      .sort();
    const page = names.slice(0, max);
    const last = page[page.length - 1];
    return {
      Parameters: page.flatMap((name) => store.get(name) ?? []).map((parameter) => render(parameter, decrypt, region)),
      ...(names.length > max && last !== undefined
        ? { NextToken: encodeToken({ prefix, recursive, after: last }) }
        : {}),
    };
  },

  DeleteParameter(body, store) {
    const name = required(body, 'Name');
    if (!store.delete(name)) throw notFound(name);
    return {};
  },

  DeleteParameters(body, store) {
    const names = nameList(body);
    const deleted = names.filter((name) => store.delete(name));
    return { DeletedParameters: deleted, InvalidParameters: names.filter((name) => !deleted.includes(name)) };
  },
};

function send(response: http.ServerResponse, status: number, body: Body): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

/** Reads the body, or undefined when it is over the bound; the rest is drained and dropped so the client sees our answer. */
async function readBody(request: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

async function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  store: Map<string, StoredParameter>,
): Promise<void> {
  try {
    const raw = await readBody(request);
    if (raw === undefined)
      throw new SsmError('RequestEntityTooLarge', `Request body over ${MAX_BODY_BYTES} bytes`, 413);
    const target = request.headers['x-amz-target'];
    const name = typeof target === 'string' && target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
    const operation = request.method === 'POST' && Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (!operation)
      throw new SsmError('UnknownOperationException', `Unknown operation ${String(target ?? '(no X-Amz-Target)')}`);
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      throw new SsmError('SerializationException', 'The request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new SsmError('SerializationException', 'The request body must be a JSON object');
    }
    // The region only shapes ARNs; it comes from the signature's scope, which is otherwise not checked.
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? 'us-east-1';
    send(response, 200, operation(body as Body, store, region));
  } catch (error) {
    if (error instanceof SsmError) send(response, error.status, { __type: error.type, message: error.message });
    else send(response, 500, { __type: 'InternalServerError', message: String(error) });
  }
}

/**
 * Starts an empty in-memory SSM on 127.0.0.1.
 *
 * @example
 * const ssm = await startSsmServer();
 * const client = new SSMClient({ endpoint: ssm.endpoint, region: 'us-east-1', credentials });
 * // ...
 * await ssm.stop();
 */
export async function startSsmServer(options: StartSsmServerOptions = {}): Promise<SsmServer> {
  const store = new Map<string, StoredParameter>();
  const server = http.createServer((request, response) => void handle(request, response, store));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the SSM server has no address');
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // SDK clients keep connections alive; without this, close() waits for them to time out.
      server.closeAllConnections();
    });
    return stopping;
  };
  return { endpoint: `http://${HOST}:${address.port}`, stop };
}
