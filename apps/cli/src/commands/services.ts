import { data, type ConsoleClient } from '../console-client';
import type { CommandContext } from '../context';
import { usage } from '../errors';
import { servicesTable, type ExposedService } from '../exposed-service';

/** Every exposed service of the organization, following the pages. */
export async function listServices(client: ConsoleClient): Promise<ExposedService[]> {
  const services: ExposedService[] = [];
  let cursor: string | undefined;
  do {
    const page = await data(client.api.GET('/api/v1/services', { params: { query: { cursor } } }));
    services.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return services;
}

/** `rustronaut services`. */
export async function services(ctx: CommandContext): Promise<void> {
  const items = await listServices(ctx.client());
  ctx.output.result(servicesTable(items), { items });
}

/** `rustronaut unexpose ID`: the route disappears from the gateway. */
export async function unexpose(ctx: CommandContext, id: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw usage(`"${id}" is not a service id`, 'list them with `rustronaut services`');
  await ctx.client().api.DELETE('/api/v1/services/{id}', { params: { path: { id } } });
  ctx.output.result(`✓ Service ${id} is no longer exposed`, { id, unexposed: true });
}
