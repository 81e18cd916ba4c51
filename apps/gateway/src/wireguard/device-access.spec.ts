import type { SiteSnapshot } from '@rustronaut/contracts';
import { compileDeviceAccess, packetPolicies } from './device-access';

const key = (c: string) => `${c.repeat(42)}A=`;
const policy = (over: Partial<SiteSnapshot['policies'][number]>): SiteSnapshot['policies'][number] => ({
  id: 'pol_x',
  name: 'x',
  effect: 'allow',
  resourceIds: [],
  subjects: { users: [], groups: [], roles: [], anyAuthenticated: false },
  conditions: { sourceCidrs: [], countries: [], paths: [], methods: [], timeWindows: [] },
  ...over,
});
const resource = (id: string, addresses: string[], protocol: 'tcp' | 'udp' = 'tcp') =>
  ({
    id,
    siteId: 'st_1',
    name: id,
    protocol,
    domains: [],
    targets: addresses.map((address, i) => ({ id: `tgt_${id}_${i}`, address, protocol })),
  }) as unknown as SiteSnapshot['resources'][number];

function snapshot(over: Partial<SiteSnapshot> = {}): SiteSnapshot {
  return {
    format: 1,
    siteId: 'st_1',
    orgId: 'org_1',
    revision: 1,
    issuedAt: '2026-12-07T00:00:00Z',
    site: { name: 'HQ', subnet: '10.201.0.0/24', region: 'eu', connectionType: 'wireguard' },
    resources: [
      resource('res_db', ['172.30.0.10:5432']),
      resource('res_dns', ['172.30.0.53:53'], 'udp'),
      resource('res_admin', ['172.30.0.11:22']),
    ],
    policies: [
      policy({
        id: 'pol_eng',
        name: 'eng',
        resourceIds: ['res_db', 'res_dns'],
        subjects: { users: [], groups: ['grp_eng'], roles: [], anyAuthenticated: false },
      }),
      policy({
        id: 'pol_admins',
        name: 'admins',
        resourceIds: ['res_admin'],
        subjects: { users: [], groups: [], roles: ['admin'], anyAuthenticated: false },
      }),
    ],
    groups: { grp_eng: ['usr_ann'] },
    jwks: [],
    devices: [
      {
        id: 'dev_1',
        name: 'laptop',
        publicKey: key('a'),
        address: '10.201.0.2',
        userId: 'usr_ann',
        role: 'member',
      },
      {
        id: 'dev_2',
        name: 'phone',
        publicKey: key('b'),
        address: '10.201.0.3',
        userId: 'usr_bob',
        role: 'admin',
      },
      {
        id: 'dev_3',
        name: 'tablet',
        publicKey: key('c'),
        address: '10.201.0.4',
        userId: 'usr_eve',
        role: 'member',
      },
    ],
    ...over,
  };
}

describe('compileDeviceAccess', () => {
  it("gives each device a /32 peer and exactly the targets its owner's policies allow", () => {
    const sut = compileDeviceAccess([snapshot()], new Date('2026-12-07T10:00:00Z'));
    expect(sut.peers).toEqual([
      { publicKey: key('a'), allowedIps: ['10.201.0.2/32'] },
      { publicKey: key('b'), allowedIps: ['10.201.0.3/32'] },
      { publicKey: key('c'), allowedIps: ['10.201.0.4/32'] },
    ]);
    expect(sut.grants).toEqual([
      { device: '10.201.0.2', address: '172.30.0.10', protocol: 'tcp', port: 5432 },
      { device: '10.201.0.2', address: '172.30.0.53', protocol: 'udp', port: 53 },
      { device: '10.201.0.3', address: '172.30.0.11', protocol: 'tcp', port: 22 },
    ]);
    expect(sut.subnets).toEqual(['10.201.0.0/24']);
  });

  it('given a deny for the owner, or a time window that is closed, grants nothing for it', () => {
    const deny = policy({
      id: 'pol_a_deny',
      name: 'no ann',
      effect: 'deny',
      resourceIds: ['res_db'],
      subjects: { users: ['usr_ann'], groups: [], roles: [], anyAuthenticated: false },
    });
    const denied = compileDeviceAccess([snapshot({ policies: [...snapshot().policies, deny] })], new Date());
    expect(denied.grants.filter((g) => g.device === '10.201.0.2').map((g) => g.port)).toEqual([53]);
    const office = policy({
      id: 'pol_eng',
      name: 'eng',
      resourceIds: ['res_db'],
      subjects: { users: [], groups: ['grp_eng'], roles: [], anyAuthenticated: false },
      conditions: {
        sourceCidrs: [],
        countries: [],
        paths: [],
        methods: [],
        timeWindows: [
          { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00', timeZone: 'UTC' },
        ],
      },
    });
    const s = snapshot({ policies: [office] });
    expect(compileDeviceAccess([s], new Date('2026-12-07T10:00:00Z')).grants).toHaveLength(1); // Monday 10:00
    expect(compileDeviceAccess([s], new Date('2026-12-07T18:00:00Z')).grants).toHaveLength(0); // Monday 18:00
    expect(compileDeviceAccess([s], new Date('2026-12-06T10:00:00Z')).grants).toHaveLength(0); // Sunday
  });

  it('fails closed on conditions a packet cannot show: an allow for some paths grants nothing, such a deny denies all', () => {
    const allowPath = policy({
      id: 'pol_p',
      effect: 'allow',
      conditions: { sourceCidrs: [], countries: [], paths: ['/api'], methods: [], timeWindows: [] },
      subjects: { users: [], groups: [], roles: [], anyAuthenticated: true },
    });
    const denyGet = policy({
      id: 'pol_d',
      effect: 'deny',
      conditions: { sourceCidrs: [], countries: [], paths: [], methods: ['DELETE'], timeWindows: [] },
    });
    expect(packetPolicies([allowPath])).toEqual([]);
    expect(packetPolicies([denyGet])[0]!.conditions.methods).toEqual([]);
    expect(compileDeviceAccess([snapshot({ policies: [allowPath] })], new Date()).grants).toEqual([]);
  });

  it('skips targets that cannot be a packet rule and says which', () => {
    const s = snapshot({
      resources: [resource('res_db', ['db.internal:5432', 'tunnel:web', '172.30.0.10:5432'])],
    });
    const sut = compileDeviceAccess([s], new Date());
    expect(sut.skipped.map((x) => x.address)).toEqual(['db.internal:5432', 'tunnel:web']);
    expect(sut.grants).toEqual([
      { device: '10.201.0.2', address: '172.30.0.10', protocol: 'tcp', port: 5432 },
    ]);
  });

  it('with no devices in the snapshot (an older console), has no peers', () => {
    const { devices: _, ...old } = snapshot();
    expect(compileDeviceAccess([old as SiteSnapshot], new Date())).toMatchObject({ peers: [], grants: [] });
  });
});
