import { randomBytes } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import { Caller, Public } from '../auth/auth.guard';
import { ResourceHandoffBody } from '../http/bodies';
import { body } from '../http/request';
import { loginPage, pageHeaders, refusedPage } from '../sign-in/login-page';
import { ResourceSignIn } from '../sign-in/resource-sign-in';
import { parseReturnUrl } from '../sign-in/return-url';

/** Browser sign-in to a resource: the console's login page, and the hand-off to the resource's gateway. */
@Controller()
export class SignInController {
  constructor(@Inject(ResourceSignIn) private readonly signIn: ResourceSignIn) {}

  /** Where a gateway sends a browser without a session: `/login?return=<the resource URL>`. */
  @Public()
  @Get('login')
  page(@Query('return') returnUrl: string | undefined, @Res() reply: FastifyReply) {
    const nonce = randomBytes(16).toString('base64');
    void reply.headers(pageHeaders(nonce));
    try {
      parseReturnUrl(returnUrl);
    } catch (error) {
      return reply.status(400).send(refusedPage((error as Error).message));
    }
    return reply.send(loginPage({ returnUrl: returnUrl!, nonce }));
  }

  /** The signed-in caller's hand-off to the resource at `return_url`: where to send the browser. */
  @Post('api/v1/auth/resource-handoff')
  @HttpCode(200)
  async handoff(@Caller() principal: Principal, @Body() raw: unknown) {
    const { return_url } = body(ResourceHandoffBody, raw);
    const { redirectUrl } = await this.signIn.handoff(principal, return_url);
    return { redirect_url: redirectUrl };
  }
}
