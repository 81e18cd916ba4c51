import 'reflect-metadata';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiModule, type ApiParts } from './api.service';
import { OPENAPI_DOCUMENT, controllersOf } from './http/openapi';

/** A route as Fastify serves it: method and path in OpenAPI's spelling (`/api/v1/sites/{id}`). */
export interface ServedRoute {
  method: string;
  path: string;
}

/**
 * The API's module on parts that are never called, initialised but not listening: its OpenAPI
 * document, its controllers, and every route Fastify registered (HEAD twins of GETs left out).
 * The build generates the client from it, and the route test compares the two.
 */
export async function describeApi(serverUrl = '/') {
  const unused = new Proxy({} as ApiParts, {
    get: (_, key) => (key === 'publicUrl' ? serverUrl : {}),
  });
  const adapter = new FastifyAdapter();
  const served: ServedRoute[] = [];
  adapter.getInstance().addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD')
        served.push({ method: method.toLowerCase(), path: route.url.replace(/:(\w+)/g, '{$1}') });
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.register(unused), adapter, {
    logger: false,
    abortOnError: false,
  });
  await app.init();
  const document = app.get<Record<string, unknown>>(OPENAPI_DOCUMENT);
  const controllers = controllersOf(app.get(ModulesContainer));
  await app.close();
  return { document, controllers, served };
}

/**
 * Served routes the document lacks, and documented routes nothing serves (`METHOD /path`); the
 * routes a controller serves outside the API (`@OutsideApi`, named in `outside`) are neither.
 */
export function routeDifferences(
  served: readonly ServedRoute[],
  document: Record<string, unknown>,
  outside: readonly string[] = [],
) {
  const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
  const paths = (document['paths'] ?? {}) as Record<string, Record<string, unknown>>;
  const documented = new Set(
    Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => key(m, path))),
  );
  const servedKeys = new Set(served.map((r) => key(r.method, r.path)));
  return {
    undocumented: [...servedKeys].filter((k) => !documented.has(k) && !outside.includes(k)).sort(),
    unserved: [...documented].filter((k) => !servedKeys.has(k)).sort(),
  };
}
