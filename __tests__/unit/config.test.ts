import { integer, list, readAwsConfig, requiredString } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

describe('configuration readers', () => {
  it("read AWS endpoints in the SDK's own variables, specific before general", () => {
    expect(
      readAwsConfig({
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:2',
      }),
    ).toEqual({
      region: 'eu-west-1',
      kinesisEndpoint: 'http://127.0.0.1:1',
      sqsEndpoint: 'http://127.0.0.1:2',
      s3Endpoint: 'http://127.0.0.1:1',
      ssmEndpoint: 'http://127.0.0.1:1',
      streamAddressing: 'name',
    });
    expect(readAwsConfig({ AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:4' }).ssmEndpoint).toBe('http://127.0.0.1:4');
    expect(readAwsConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:3' }).s3Endpoint).toBe('http://127.0.0.1:3');
    expect(readAwsConfig({})).toEqual({
      region: 'us-east-1',
      kinesisEndpoint: undefined,
      sqsEndpoint: undefined,
      s3Endpoint: undefined,
      ssmEndpoint: undefined,
      streamAddressing: 'arn',
    });
  });

  it('address streams by ARN in AWS and by name against a local endpoint, unless KINESIS_STREAM_ADDRESSING says otherwise', () => {
    expect(readAwsConfig({ AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:1' }).streamAddressing).toBe('name');
    expect(readAwsConfig({ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:2' }).streamAddressing).toBe('arn');
    expect(
      readAwsConfig({ AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:1', KINESIS_STREAM_ADDRESSING: 'arn' })
        .streamAddressing,
    ).toBe('arn');
    expect(readAwsConfig({ KINESIS_STREAM_ADDRESSING: 'name' }).streamAddressing).toBe('name');
    expect(() => readAwsConfig({ KINESIS_STREAM_ADDRESSING: 'url' })).toThrow(ConfigError);
    expect(() => readAwsConfig({ KINESIS_STREAM_ADDRESSING: 'url' })).toThrow(/KINESIS_STREAM_ADDRESSING/);
  });

  it('refuse a malformed endpoint at cold start, naming the variable', () => {
    expect(() => readAwsConfig({ AWS_ENDPOINT_URL_KINESIS: '127.0.0.1:4567' })).toThrow(ConfigError);
    expect(() => readAwsConfig({ AWS_ENDPOINT_URL_KINESIS: '127.0.0.1:4567' })).toThrow(/AWS_ENDPOINT_URL_KINESIS/);
    expect(() => readAwsConfig({ AWS_ENDPOINT_URL_SQS: 'ftp://example.org' })).toThrow(/http or https/);
  });

  it('read integers within bounds, lists and required strings with clear errors', () => {
    expect(integer({ N: '42' }, 'N', 1, 0, 100)).toBe(42);
    expect(integer({}, 'N', 7)).toBe(7);
    expect(() => integer({ N: '4.5' }, 'N', 1)).toThrow(/N must be an integer/);
    expect(() => integer({ N: '500' }, 'N', 1, 0, 100)).toThrow(/between 0 and 100/);
    expect(list({ L: ' a, ,b ' }, 'L')).toEqual(['a', 'b']);
    expect(() => requiredString({ S: '  ' }, 'S')).toThrow(/S is required/);
  });
});
