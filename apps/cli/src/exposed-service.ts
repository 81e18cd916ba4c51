import type { Answer } from '@rustronaut/api-client';
import { table } from './output';

export type Protocol = 'http' | 'tcp' | 'udp';
export const PROTOCOLS: readonly Protocol[] = ['http', 'tcp', 'udp'];

/** An exposed service as the console's API describes it (`/api/v1/services`); the tunnel token only in POST's answer. */
export type ExposedService = Answer<'/api/v1/services/{id}', 'get'>;

/** The service as it may be shown or printed: never the tunnel token. */
export function publicView(service: ExposedService): ExposedService {
  if (!service.tunnel) return service;
  const { token: _token, ...tunnel } = service.tunnel;
  return { ...service, tunnel };
}

/** Host and port of a `tcp://host:port`/`udp://host:port` public URL. */
export function publicEndpoint(publicUrl: string): { host: string; port: number } | undefined {
  const [, host, port] = /^(?:tcp|udp):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(publicUrl) ?? [];
  return host && port ? { host, port: Number(port) } : undefined;
}

/** What a person needs to use an exposure, exactly (issue 6). */
export function exposureLines(service: ExposedService, localPort: number): string[] {
  const lines = [`✓ Service exposed at: ${service.public_url}`];
  lines.push(`✓ DNS Record: ${service.dns_record.type} ${service.dns_record.name}`);
  const endpoint = publicEndpoint(service.public_url);
  if (endpoint && service.protocol === 'tcp' && localPort === 22)
    lines.push(`  ssh user@${endpoint.host} -p ${endpoint.port}`);
  else if (endpoint && service.protocol === 'tcp')
    lines.push(`  connect to ${endpoint.host}:${endpoint.port}`);
  else if (endpoint && service.protocol === 'udp')
    lines.push(`  send datagrams to ${endpoint.host}:${endpoint.port}`);
  if (service.auth_required && service.protocol === 'http') lines.push('  visitors must log in (--auth)');
  return lines;
}

export function servicesTable(services: ExposedService[]): string[] {
  if (services.length === 0)
    return ['no exposed services (expose one with `rustronaut expose localhost:3000 http`)'];
  return table(
    ['ID', 'NAME', 'PROTOCOL', 'PUBLIC URL', 'LOCAL', 'AUTH', 'STATUS'],
    services.map((s) => [
      s.id,
      s.name,
      s.protocol,
      s.public_url,
      s.local_address,
      s.auth_required ? 'yes' : 'no',
      s.status,
    ]),
  );
}
