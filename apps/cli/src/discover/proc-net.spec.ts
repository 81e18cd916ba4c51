import { decodeAddress, parseSocketTable, socketInode, TCP_LISTEN, UDP_UNCONNECTED } from './proc-net';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 10169 1 000000007e2a8552 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2211 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0CEA 0100007F:D2F0 01 00000000:00000000 02:0000A3C5 00000000   107        0 0 2 0000000000000000 20 4 30 10 -1
   3: garbage line
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:18EB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5152 1 000000003f9526b7 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5153 1 000000003f9526b7 100 0 0 10 0
   2: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5154 1 000000003f9526b7 100 0 0 10 0
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 8324: 0100007F:B11D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 80876 2 00000000007cc887 0
 8400: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 9001 2 00000000007cc887 0
`;

describe('the /proc/net socket tables', () => {
  it('reads TCP lines: address, port, state and inode; skips the header and garbage', () => {
    expect(parseSocketTable(TCP, 'tcp')).toEqual([
      { transport: 'tcp', address: '127.0.0.1', port: 3306, state: TCP_LISTEN, inode: 10169 },
      { transport: 'tcp', address: '0.0.0.0', port: 22, state: TCP_LISTEN, inode: 2211 },
      { transport: 'tcp', address: '127.0.0.1', port: 3306, state: 0x01, inode: 0 },
    ]);
  });

  it('reads IPv6 addresses word by word in the kernel byte order', () => {
    expect(parseSocketTable(TCP6, 'tcp').map((s) => [s.address, s.port])).toEqual([
      ['::1', 6379],
      ['::ffff:127.0.0.1', 8080],
      ['2001:db8::1', 80],
    ]);
  });

  it('reads UDP lines (bound, unconnected sockets are state 07)', () => {
    expect(parseSocketTable(UDP, 'udp')).toEqual([
      { transport: 'udp', address: '127.0.0.1', port: 45341, state: UDP_UNCONNECTED, inode: 80876 },
      { transport: 'udp', address: '127.0.0.53', port: 53, state: UDP_UNCONNECTED, inode: 9001 },
    ]);
  });

  it('decodes big-endian kernels too', () => {
    expect(decodeAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeAddress('00000000000000000000000000000001', false)).toBe('::1');
    expect(decodeAddress('00000000000000000000000000000000')).toBe('::');
  });

  it('finds the inode in an fd link only when it is a socket', () => {
    expect(socketInode('socket:[94216]')).toBe(94216);
    expect(socketInode('pipe:[94248]')).toBeUndefined();
    expect(socketInode('/dev/null')).toBeUndefined();
  });
});
