import { TunnelClient } from '@rustronaut/tunnel';
import type { BenchTunnelClientOrder } from './bench-tunnel';

/**
 * The tunnel client of `--bench` mode, in its own process (forked by bench-tunnel.ts): one tunnel per
 * exposed service, as `rustronaut expose` makes them. It exits with its parent.
 */
process.once('message', (order: BenchTunnelClientOrder) => {
  for (const { token, service } of order.tunnels) {
    const client = new TunnelClient({
      gateway: { host: '127.0.0.1', port: order.gatewayPort, servername: 'localhost' },
      token,
      services: [service],
      ca: order.ca,
      agent: 'rustronaut-bench',
      backoffMs: { min: 100, max: 1000 },
    });
    client.on('refused', (refused: { code: string; message: string }) =>
      process.stderr.write(`bench tunnel client: refused: ${refused.code} ${refused.message}\n`),
    );
    client.start();
  }
});
process.on('disconnect', () => process.exit(0));
