import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

// Placeholder until issue 3.
export const handler = async (_event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => ({
  statusCode: 503,
  headers: { 'content-type': 'application/json', 'retry-after': '60' },
  body: JSON.stringify({ code: 'NOT_IMPLEMENTED', message: 'status is not implemented yet' }),
});
