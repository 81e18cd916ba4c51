import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's ephemeral range: ports it hands out for `listen(0)` and for every outgoing
 * connection. A port taken from there and released can be given to someone else's connection
 * before the test's server binds it (EADDRINUSE under load), so test ports come from below it.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux: fall back to IANA's dynamic range
  }
  return [49152, 65535];
}

const [ephemeralLow] = ephemeralRange();
const RANGE_LOW = 10_000;
const RANGE_HIGH = Math.max(RANGE_LOW + 1_000, Math.min(ephemeralLow, 32_768));
/** Ports this process handed out already: never the same one twice. */
const given = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, chosen at random below the ephemeral range
 * (so no outgoing connection takes it in the meantime) and never the same twice in one process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW));
    if (given.has(port)) continue;
    if (await bindable(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${RANGE_LOW} and ${RANGE_HIGH}`);
}
