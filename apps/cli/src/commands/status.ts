import type { Answer } from '@rustronaut/api-client';
import { data, type ConsoleClient } from '../console-client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { listServices } from './services';

export type Me = Answer<'/api/v1/me', 'get'>;

export function whoAmI(client: ConsoleClient): Promise<Me> {
  return data(client.api.GET('/api/v1/me'));
}

/** `rustronaut status`: who you are, whether the console answers, how many services are exposed. */
export async function status(ctx: CommandContext): Promise<void> {
  const credentials = ctx.credentials();
  const client = ctx.client();
  let me: Me;
  try {
    me = await whoAmI(client);
  } catch (error) {
    if (error instanceof CliError)
      ctx.output.note(`console: ${client.url} (logged in as ${credentials.email ?? 'an API key'})`);
    throw error;
  }
  const services = await listServices(client);
  ctx.output.result(
    [
      `console:  ${client.url} (reachable)`,
      `user:     ${me.user.email} (${me.principal.role}${credentials.auth.kind === 'api_key' ? ', API key' : ''})`,
      `services: ${services.length} exposed`,
    ],
    {
      console_url: client.url,
      reachable: true,
      user: { id: me.user.id, email: me.user.email, role: me.principal.role, org_id: me.principal.org_id },
      auth: credentials.auth.kind,
      exposed_services: services.length,
    },
  );
}
