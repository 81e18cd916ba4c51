import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

/** Where the generated types of `@rustronaut/api-client` live (committed; checked by a test). */
export const CLIENT_SCHEMA_PATH = 'libs/api-client/src/schema.ts';

const HEADER = `/**
 * Generated from the API's OpenAPI document (apps/api: each route's @Endpoint) by
 * \`npm run build\` (apps/api/src/openapi-main.ts). Do not edit: change the route and build.
 */
/* eslint-disable */
`;

/** The TypeScript types of the document (\`paths\`, \`components\`, \`operations\`) for openapi-fetch. */
export async function clientSchemaSource(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as unknown as OpenAPI3, { alphabetize: true });
  return HEADER + astToString(ast);
}
