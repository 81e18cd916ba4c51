import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.guard';
import { ApiError, ApiErrorCode } from '../http/api-errors';
import { ConsoleWebFiles } from '../console-web/console-web-files';

/** The web console at `/`: its files, and its page for every path that is not the API's. */
@Controller()
export class ConsoleWebController {
  constructor(@Inject(ConsoleWebFiles) private readonly files: ConsoleWebFiles) {}

  @Public()
  @Get('*')
  serve(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (request.url.startsWith('/api/') || request.url === '/api')
      throw new ApiError(ApiErrorCode.RouteNotFound, `no route GET ${request.url.split('?')[0]}`);
    const file = this.files.lookup(request.url);
    if (!file) {
      if (this.files.built) throw new ApiError(ApiErrorCode.RouteNotFound, 'no such file of the web console');
      return reply
        .status(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .send('The web console is not built: run `npm run build`.\n');
    }
    return reply.headers(file.headers).send(file.body);
  }
}
