import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { CliError } from '../errors';
import { discoverLocalServices } from './discover';

describe("discover (this machine's /proc)", () => {
  it('finds a TCP server and a UDP socket this test opens, with this process and its name', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    try {
      const tcpPort = (server.address() as AddressInfo).port;
      const udpPort = udp.address().port;
      const name = readFileSync('/proc/self/comm', 'utf8').trim();
      const { listeners } = discoverLocalServices();
      expect(listeners).toContainEqual({
        protocol: 'tcp',
        address: '127.0.0.1',
        port: tcpPort,
        pid: process.pid,
        process: name,
      });
      expect(listeners).toContainEqual({
        protocol: 'udp',
        address: '127.0.0.1',
        port: udpPort,
        pid: process.pid,
        process: name,
      });
    } finally {
      server.close();
      udp.close();
    }
  });

  it('says it is not supported elsewhere than Linux, with what to use instead', () => {
    expect(() => discoverLocalServices('/proc', 'darwin')).toThrow(CliError);
    expect(() => discoverLocalServices('/proc', 'darwin')).toThrow('discover is not supported on darwin yet');
  });
});
