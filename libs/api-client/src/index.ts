import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };

/** The console API, typed route by route: `api.GET('/api/v1/sites/{id}', { params: { path: { id } } })`. */
export type ApiClient = Client<paths>;

/** A schema of the document by name (`Schema<'Error'>`). */
export type Schema<N extends keyof components['schemas']> = components['schemas'][N];

/** The JSON a route answers with on success (`Answer<'/api/v1/sites', 'post'>`). */
export type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? {
      [S in keyof R]: S extends 200 | 201
        ? R[S] extends { content: { 'application/json': infer J } }
          ? J
          : never
        : never;
    }[keyof R]
  : never;

/** What the API answers on failure (docs/errors.md). */
export type ApiErrorBody = components['schemas']['Error'];

export interface ApiClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The console's address, e.g. http://127.0.0.1:7080 (paths start with /api/v1). */
  baseUrl: string;
}

/** A client of the console API at `baseUrl`; authentication is the caller's (headers, middleware). */
export function createApiClient({ baseUrl, ...options }: ApiClientOptions): ApiClient {
  return createClient<paths>({ baseUrl: baseUrl.replace(/\/+$/, ''), ...options });
}
