import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

/** Where `npm run build` puts the web console (Vite's output), seen from the built API or its sources. */
export function consoleWebDirectory(): string | undefined {
  return [
    join(__dirname, '../../../console-web/public'),
    join(__dirname, '../../../../dist/apps/console-web/public'),
  ].find((dir) => existsSync(join(dir, 'index.html')));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface WebFile {
  body: Buffer;
  headers: Record<string, string>;
}

/** The page's own policy: scripts and connections only from this origin; Mantine sets inline styles. */
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/**
 * The web console's files, read once: a request names one of them exactly (no path is ever joined
 * from the URL), and every other path is the single-page app's, answered with index.html.
 */
export class ConsoleWebFiles {
  readonly #files = new Map<string, WebFile>();
  readonly #index: WebFile | undefined;

  constructor(directory: string | undefined) {
    if (!directory) return;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (TYPES[extname(entry.name)])
          this.#files.set(`/${relative(directory, file).split(sep).join('/')}`, {
            body: readFileSync(file),
            headers: {
              'content-type': TYPES[extname(entry.name)]!,
              'x-content-type-options': 'nosniff',
              // Vite names assets by their content hash: they never change under one name.
              'cache-control': file.includes(`${sep}assets${sep}`)
                ? 'public, max-age=31536000, immutable'
                : 'no-cache',
            },
          });
      }
    };
    walk(directory);
    const index = this.#files.get('/index.html');
    this.#index = index && { body: index.body, headers: { ...index.headers, ...PAGE_HEADERS } };
  }

  get built(): boolean {
    return this.#index !== undefined;
  }

  /** The file at this URL path (query string ignored), or the app's page for any other path. */
  lookup(urlPath: string): WebFile | undefined {
    const path = urlPath.split('?')[0] ?? '/';
    if (path !== '/index.html' && this.#files.has(path)) return this.#files.get(path);
    // A missing hashed asset is a 404, not the page (a stale tab must not parse HTML as a script).
    if (path.startsWith('/assets/')) return undefined;
    return this.#index;
  }
}

interface HookRequest {
  method: string;
  url: string;
  routeOptions: { url?: string | undefined };
}
interface HookReply {
  headers(values: Record<string, string>): HookReply;
  send(body: Buffer | string): unknown;
  status(code: number): HookReply;
}

/**
 * Serves the web console where no API route answers: a GET outside `/api/` that matched no route
 * gets the console's file or its page (the single-page app routes in the browser). Registered as a
 * request hook, not a route, so the API's routes (and its OpenAPI document) stay exactly the API's.
 */
export function installConsoleWeb(
  fastify: {
    addHook(name: 'onRequest', hook: (request: HookRequest, reply: HookReply) => Promise<unknown>): unknown;
  },
  files: ConsoleWebFiles,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    if (request.url === '/api' || request.url.startsWith('/api/')) return;
    const file = files.lookup(request.url);
    if (file) return reply.headers(file.headers).send(file.body);
    if (!files.built)
      return reply
        .status(503)
        .headers({ 'content-type': 'text/plain; charset=utf-8' })
        .send('The web console is not built: run `npm run build`.\n');
    return undefined;
  });
}
