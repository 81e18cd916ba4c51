import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { Public } from '../auth/auth.guard';
import { DevelopmentCa } from '../edge/development-ca';
import { Endpoint } from '../http/endpoint';
import { OPENAPI_DOCUMENT } from '../http/openapi';
import { DocsPageHtml, EdgeJson, HealthJson, OpenApiJson } from '../http/responses';
import type { ConsoleConfig } from '@rustronaut/config';
import { EDGE } from './tokens';

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rustronaut API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#ui' });</script>
</body></html>`;

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};

@Controller()
export class MetaController {
  readonly #developmentCa: DevelopmentCa;

  constructor(
    @Inject(OPENAPI_DOCUMENT) private readonly document: Record<string, unknown>,
    @Inject(EDGE) private readonly edge: ConsoleConfig['exposure'],
  ) {
    this.#developmentCa = new DevelopmentCa(edge.developmentCaFile);
  }

  /**
   * Where clients reach the gateways (`rustronaut expose`, forward and connectors dial the tunnel
   * endpoint), and the development CA their certificates come from, which `rustronaut login` pins.
   */
  @Public()
  @Get('api/v1/edge')
  @Endpoint({
    summary:
      "Where clients reach the gateways (tunnel endpoint, base domain, HTTPS port) and the gateways' development CA, if any; public",
    tag: 'meta',
    response: EdgeJson,
  })
  edgeInfo() {
    return {
      tunnel_endpoint: this.edge.tunnelEndpoint,
      base_domain: this.edge.baseDomain,
      https_port: this.edge.httpsPort,
      development_ca: this.#developmentCa.current() ?? null,
    };
  }

  @Public()
  @Get('api/v1/openapi.json')
  @Endpoint({ summary: 'This document', tag: 'meta', response: OpenApiJson })
  openapi() {
    return this.document;
  }

  @Public()
  @Get('api/v1/health')
  @Endpoint({ summary: 'Liveness', tag: 'meta', response: HealthJson })
  health() {
    return { status: 'ok' };
  }

  /** The interactive API page, served from this machine (no CDN). */
  @Public()
  @Get('api/docs')
  @Endpoint({
    summary: 'The interactive API page (HTML)',
    tag: 'meta',
    response: DocsPageHtml,
    produces: 'text/html',
  })
  docs(@Res() reply: FastifyReply) {
    return reply.header('content-type', 'text/html; charset=utf-8').send(DOCS_PAGE);
  }

  @Public()
  @Get('api/docs/assets/:file')
  @Endpoint({ summary: "The API page's script and style sheet", tag: 'meta' })
  async asset(@Param('file') file: string, @Res() reply: FastifyReply) {
    const type = ASSETS[file];
    if (!type) throw new NotFoundException();
    return reply
      .header('content-type', type)
      .header('cache-control', 'public, max-age=86400')
      .send(await readFile(join(getAbsoluteFSPath(), file)));
  }
}
