import { exposureLines, publicView, servicesTable, type ExposedService } from './exposed-service';
import { formatLocalAddress, parseLocalAddress } from './local-address';
import { duration } from './output';
import { tunnelEndpoint } from './tunnel-endpoint';

const WEB: ExposedService = {
  id: 'svc_1',
  org_id: 'org_1',
  site_id: 'site_1',
  exposed_by: 'usr_1',
  name: 'dev-server-abc123',
  public_url: 'https://dev-server-abc123.tunnels.example.com',
  local_address: 'localhost:3000',
  protocol: 'http',
  status: 'exposed',
  auth_required: false,
  dns_record: {
    type: 'CNAME',
    name: 'dev-server-abc123.tunnels.example.com',
    value: 'gw.example.com',
  },
  tunnel: { endpoint: 'gw.example.com:7443', token: 'rnt_secret' },
  created_at: '2026-11-24T23:00:00.000Z',
};

describe('what expose prints', () => {
  it('gives the public URL and the DNS record, exactly', () => {
    expect(exposureLines(WEB, 3000)).toEqual([
      '✓ Service exposed at: https://dev-server-abc123.tunnels.example.com',
      '✓ DNS Record: CNAME dev-server-abc123.tunnels.example.com',
    ]);
    expect(exposureLines({ ...WEB, auth_required: true }, 3000)[2]).toBe('  visitors must log in (--auth)');
  });

  it('gives the ssh command for port 22, the host and port for other TCP and UDP services', () => {
    const ssh = {
      ...WEB,
      protocol: 'tcp' as const,
      public_url: 'tcp://gw.example.com:40123',
      dns_record: { type: 'A' as const, name: 'gw.example.com', value: '203.0.113.10' },
    };
    expect(exposureLines(ssh, 22)).toEqual([
      '✓ Service exposed at: tcp://gw.example.com:40123',
      '✓ DNS Record: A gw.example.com',
      '  ssh user@gw.example.com -p 40123',
    ]);
    expect(exposureLines(ssh, 5432)[2]).toBe('  connect to gw.example.com:40123');
    expect(exposureLines({ ...ssh, protocol: 'udp', public_url: 'udp://gw.example.com:40200' }, 53)[2]).toBe(
      '  send datagrams to gw.example.com:40200',
    );
  });

  it('never shows the tunnel token', () => {
    expect(JSON.stringify(publicView(WEB))).not.toContain('rnt_secret');
    expect(publicView(WEB).tunnel).toEqual({ endpoint: 'gw.example.com:7443' });
  });

  it('lists services in aligned columns', () => {
    expect(
      servicesTable([WEB, { ...WEB, id: 'svc_22', name: 'db', protocol: 'tcp', auth_required: true }]),
    ).toEqual([
      'ID      NAME               PROTOCOL  PUBLIC URL                                     LOCAL           AUTH  STATUS',
      'svc_1   dev-server-abc123  http      https://dev-server-abc123.tunnels.example.com  localhost:3000  no    exposed',
      'svc_22  db                 tcp       https://dev-server-abc123.tunnels.example.com  localhost:3000  yes   exposed',
    ]);
    expect(servicesTable([])[0]).toMatch(/^no exposed services/);
  });
});

describe('addresses', () => {
  it('reads local addresses as people write them', () => {
    expect(parseLocalAddress('localhost:3000')).toEqual({ host: 'localhost', port: 3000 });
    expect(parseLocalAddress('3000')).toEqual({ host: 'localhost', port: 3000 });
    expect(parseLocalAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(formatLocalAddress({ host: '::1', port: 8080 })).toBe('[::1]:8080');
    for (const bad of ['', 'localhost', 'localhost:0', 'localhost:65536', 'http://localhost:3000', 'a b:1'])
      expect(() => parseLocalAddress(bad)).toThrow(/is not a local address/);
  });

  it("reads the gateway's tunnel endpoint", () => {
    expect(tunnelEndpoint('gw.example.com:7443')).toEqual({ host: 'gw.example.com', port: 7443 });
    expect(tunnelEndpoint('[::1]:7443')).toEqual({ host: '::1', port: 7443 });
    expect(() => tunnelEndpoint('gw.example.com')).toThrow(/not host:port/);
  });

  it('says how long until a reconnection', () => {
    expect(duration(350)).toBe('350 ms');
    expect(duration(1234)).toBe('1.2 s');
  });
});
