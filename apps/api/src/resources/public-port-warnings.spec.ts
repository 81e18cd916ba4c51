import {
  PolicyDataSchema,
  ResourceDataSchema,
  type Principal,
  type ResourceView,
} from '@rustronaut/contracts';
import type { PolicyClient } from '../routes/tokens';
import { publicPortWarnings } from './public-port-warnings';

const principal = { userId: 'usr_a', orgId: 'org_a', role: 'admin' } as Principal;
const view = (fields: Record<string, unknown>): ResourceView => ({
  ...ResourceDataSchema.parse({ siteId: 'sit_a', name: 'db', protocol: 'tcp', publicPort: 15432, ...fields }),
  id: 'res_db',
  orgId: 'org_a',
  targets: [],
  createdAt: '',
  updatedAt: '',
  version: 1,
});
const policiesClient = (policies: Record<string, unknown>[], fail = false) => {
  const asked: string[] = [];
  const client = {
    request: (pattern: string) => {
      asked.push(pattern);
      if (fail) return Promise.reject(new Error('down'));
      return Promise.resolve({
        items: policies.map((p, i) => ({ ...PolicyDataSchema.parse(p), id: `pol_${i}`, orgId: 'org_a' })),
        nextCursor: null,
      });
    },
  } as unknown as PolicyClient;
  return { client, asked };
};

describe('publicPortWarnings', () => {
  it('warns when an auth-required TCP/UDP public port admits nobody, and says what to do', async () => {
    const { client } = policiesClient([
      { name: 'eng', effect: 'allow', subjects: { anyAuthenticated: true } },
    ]);
    const warnings = await publicPortWarnings(client, principal, view({}));
    expect(warnings).toEqual([
      {
        code: 'PUBLIC_PORT_CLOSED',
        message: expect.stringMatching(/public port 15432 admits no connection.*source_cidrs/),
      },
    ]);
  });

  it('says nothing once a policy opens the port to a network', async () => {
    const { client } = policiesClient([
      {
        name: 'office',
        effect: 'allow',
        resourceIds: ['res_db'],
        subjects: {},
        conditions: { sourceCidrs: ['10.0.0.0/8'] },
      },
    ]);
    expect(await publicPortWarnings(client, principal, view({}))).toEqual([]);
  });

  it('does not look at policies for a public, portless or HTTP resource', async () => {
    const { client, asked } = policiesClient([]);
    expect(await publicPortWarnings(client, principal, view({ authRequired: false }))).toEqual([]);
    expect(await publicPortWarnings(client, principal, view({ publicPort: null }))).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('says it could not tell when the policies cannot be read', async () => {
    const { client } = policiesClient([], true);
    expect(await publicPortWarnings(client, principal, view({ protocol: 'udp' }))).toMatchObject([
      { code: 'PUBLIC_PORT_UNCHECKED' },
    ]);
  });
});
