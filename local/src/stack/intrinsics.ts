/**
 * Resolves the CloudFormation intrinsics that `serverless print` leaves in function environments
 * (Ref, Fn::GetAtt, Fn::Join, Fn::If, Fn::Equals, Fn::Not, Fn::Sub) against the local stand-ins for
 * the stack's resources, so the local stack runs the very configuration that is deployed.
 */
import { ConfigError } from '../../../lib/errors';

export interface LocalResource {
  /** What `Ref` gives: a stream's name, a queue's URL, a topic's ARN. */
  ref: string;
  /** What `Fn::GetAtt` gives, by attribute name. */
  attributes: Record<string, string>;
}

export interface IntrinsicContext {
  resources: Record<string, LocalResource>;
  /** Template parameters (their defaults, locally). `CommaDelimitedList` parameters as arrays. */
  parameters: Record<string, string | string[]>;
  conditions: Record<string, unknown>;
  region: string;
  accountId: string;
}

type Value = string | string[] | boolean;

function single(object: Record<string, unknown>): [string, unknown] | undefined {
  const keys = Object.keys(object);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::') || keys[0] === 'Condition')
    ? [keys[0] as string, object[keys[0] as string]]
    : undefined;
}

function ref(name: string, context: IntrinsicContext): string | string[] {
  if (name === 'AWS::Region') return context.region;
  if (name === 'AWS::AccountId') return context.accountId;
  if (name === 'AWS::Partition') return 'aws';
  if (name === 'AWS::StackName') return 'local';
  if (name === 'AWS::URLSuffix') return 'amazonaws.com';
  const parameter = context.parameters[name];
  if (parameter !== undefined) return parameter;
  const resource = context.resources[name];
  if (resource) return resource.ref;
  throw new ConfigError(`Ref ${name}: no such parameter or local resource`);
}

function condition(name: string, context: IntrinsicContext): boolean {
  const definition = context.conditions[name];
  if (definition === undefined) throw new ConfigError(`condition ${name} is not defined`);
  const value = resolveValue(definition, context);
  if (typeof value !== 'boolean') throw new ConfigError(`condition ${name} is not a boolean`);
  return value;
}

function text(value: Value, where: string): string {
  if (typeof value !== 'string') throw new ConfigError(`${where} needs a string`);
  return value;
}

function resolveValue(node: unknown, context: IntrinsicContext): Value {
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return typeof node === 'boolean' ? node : String(node);
  if (Array.isArray(node)) return node.map((item) => text(resolveValue(item, context), 'a list'));
  if (typeof node !== 'object' || node === null) throw new ConfigError(`cannot resolve ${JSON.stringify(node)}`);
  const intrinsic = single(node as Record<string, unknown>);
  if (!intrinsic) throw new ConfigError(`cannot resolve ${JSON.stringify(node).slice(0, 120)}`);
  const [fn, args] = intrinsic;
  switch (fn) {
    case 'Ref':
      return ref(String(args), context);
    case 'Condition':
      return condition(String(args), context);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(args) ? (args as string[]) : String(args).split('.');
      const value = context.resources[logicalId ?? '']?.attributes[attribute ?? ''];
      if (value === undefined)
        throw new ConfigError(`Fn::GetAtt ${logicalId}.${attribute}: no such local resource attribute`);
      return value;
    }
    case 'Fn::Join': {
      const [separator, items] = args as [string, unknown];
      const list = resolveValue(items, context);
      return (Array.isArray(list) ? list : [text(list, 'Fn::Join')]).join(separator);
    }
    case 'Fn::If': {
      const [name, whenTrue, whenFalse] = args as [string, unknown, unknown];
      return condition(name, context) ? resolveValue(whenTrue, context) : resolveValue(whenFalse, context);
    }
    case 'Fn::Equals': {
      const [a, b] = (args as unknown[]).map((item) => resolveValue(item, context));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not':
      return !resolveValue((args as unknown[])[0], context);
    case 'Fn::Sub': {
      const [template, variables] = Array.isArray(args)
        ? (args as [string, Record<string, unknown>])
        : [String(args), {}];
      return template.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
        if (variables[name] !== undefined) return text(resolveValue(variables[name], context), `Fn::Sub ${name}`);
        if (name.includes('.'))
          return text(resolveValue({ 'Fn::GetAtt': name.split('.') }, context), `Fn::Sub ${name}`);
        const value = ref(name, context);
        return Array.isArray(value) ? value.join(',') : value;
      });
    }
    default:
      throw new ConfigError(`${fn} is not supported by the local stack`);
  }
}

/**
 * Resolves one environment value to the string a function would see.
 *
 * @example
 * resolveEnvValue({ 'Fn::GetAtt': ['TelemetryStream', 'Arn'] }, context); // 'arn:aws:kinesis:us-east-1:000000000000:stream/...'
 */
export function resolveEnvValue(node: unknown, context: IntrinsicContext): string {
  const value = resolveValue(node, context);
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'boolean' ? String(value) : value;
}
