import { decode, type User } from '@nats-io/jwt';
import type { NatsConnection } from 'nats';
import { createUser } from '@nats-io/nkeys';
import { NatsAuthority } from '@rustronaut/nats-authority';
import { createLogger } from '@rustronaut/observability';
import { GatewayAssignments } from './gateway-assignments';
import type { GatewayQueries } from './gateway.queries';

type Row = NonNullable<Awaited<ReturnType<GatewayQueries['publicKeyOf']>>>;

/** The claims of a NATS user JWT (its payload, not checked here: nats-server checks it). */
const claimsOf = (jwt: string) => decode<User>(jwt);

describe('a gateway asking for its settings (every heartbeat)', () => {
  const authority = new NatsAuthority(NatsAuthority.generate());
  const key = createUser().getPublicKey();
  let row: Row | undefined;
  const queries = { publicKeyOf: async () => row } as unknown as GatewayQueries;
  const assignments = new GatewayAssignments(
    {} as NatsConnection,
    queries,
    authority,
    createLogger('test', 'silent'),
  );
  const signing = jest.spyOn(authority, 'gatewayUserJwt');

  beforeEach(() => {
    row = {
      orgId: 'org_1',
      publicKey: null,
      natsPublicKey: key,
      siteIds: ['st_a'],
      wireguardPort: 51820,
      deleted: false,
    };
    signing.mockClear();
  });

  it('gets the JWT already signed for the same sites and key, without signing again', async () => {
    const first = await assignments.current('gw_1');
    const second = await assignments.current('gw_1');
    expect(second?.natsJwt).toBe(first?.natsJwt);
    expect(signing).toHaveBeenCalledTimes(1);
    expect(claimsOf(second!.natsJwt).sub).toBe(key);
  });

  it('gets a new JWT for new sites, allowing only the new sites', async () => {
    const before = await assignments.current('gw_2');
    row = { ...row!, siteIds: ['st_b'] };
    const after = await assignments.current('gw_2');
    expect(after?.natsJwt).not.toBe(before?.natsJwt);
    const { nats } = claimsOf(after!.natsJwt);
    expect(nats.sub?.allow).toContain('rn.config.site.st_b');
    expect(nats.sub?.allow).not.toContain('rn.config.site.st_a');
    expect(signing).toHaveBeenCalledTimes(2);
  });

  it('gets a new JWT for a new NATS key, and none once deleted', async () => {
    await assignments.current('gw_3');
    const other = createUser().getPublicKey();
    row = { ...row!, natsPublicKey: other };
    expect(claimsOf((await assignments.current('gw_3'))!.natsJwt).sub).toBe(other);
    row = { ...row!, deleted: true };
    expect(await assignments.current('gw_3')).toBeUndefined();
  });
});
