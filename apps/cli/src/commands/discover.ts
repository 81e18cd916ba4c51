import type { CommandContext } from '../context';
import { discoverLocalServices } from '../discover/discover';
import { table } from '../output';

/** `rustronaut discover`: what listens on this machine, and which process it is. */
export function discover(ctx: CommandContext): void {
  const { listeners, unreadableProcesses } = discoverLocalServices();
  const rows = listeners.map((l) => [
    l.protocol,
    l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`,
    l.pid === null ? '-' : String(l.pid),
    l.process ?? '-',
  ]);
  const lines = listeners.length
    ? table(['PROTO', 'ADDRESS', 'PID', 'PROCESS'], rows)
    : ['nothing listens on this machine'];
  if (unreadableProcesses > 0 && listeners.some((l) => l.pid === null))
    lines.push(
      `(${unreadableProcesses} processes of other users could not be inspected: run as root to name them)`,
    );
  ctx.output.result(lines, { listeners });
}
