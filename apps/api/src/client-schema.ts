import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';

/** Where the generated types of `@rustronaut/api-client` live (committed; checked by a test). */
export const CLIENT_SCHEMA_PATH = 'libs/api-client/src/schema.ts';

const header = (document: Record<string, unknown>) => `/**
 * Generated from the API's OpenAPI document (apps/api: each route's @Endpoint) by
 * \`npm run build\` (apps/api/src/openapi-main.ts). Do not edit: change the route and build.
 * ${documentStamp(document)}
 */
/* eslint-disable */
`;

/** A line naming the document's SHA-256, written into the generated file. */
export const documentStamp = (document: Record<string, unknown>) =>
  `document sha256: ${createHash('sha256').update(JSON.stringify(document)).digest('hex')}`;

// openapi-typescript loads ES modules through require(), which Node does and Jest's module system
// does not: it runs in a child Node process, reading the document on stdin.
const GENERATE = `
const { default: openapiTS, astToString } = require('openapi-typescript');
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const ast = await openapiTS(JSON.parse(input), { alphabetize: true });
  process.stdout.write(astToString(ast));
});`;

/** The TypeScript types of the document (`paths`, `components`, `operations`) for openapi-fetch. */
export function clientSchemaSource(document: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', GENERATE],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`openapi-typescript failed: ${stderr || error.message}`))
          : resolve(header(document) + stdout),
    );
    child.stdin?.end(JSON.stringify(document));
  });
}
