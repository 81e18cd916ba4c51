import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { renderRuleset } from './nft-ruleset';

// nft itself checks the script (`nft -c`) in a network namespace of the test's own.
const ns = `rnnft-${randomBytes(3).toString('hex')}`;
beforeAll(() => execFileSync('ip', ['netns', 'add', ns]));
afterAll(() => execFileSync('ip', ['netns', 'del', ns]));
const nft = (script: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script }).toString();
const list = () => execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']).toString();

describe('the WireGuard packet filter', () => {
  it('loads, and loads again over itself (the replace is one transaction)', () => {
    const grants = Array.from({ length: 1000 }, (_, i) => ({
      device: `10.201.${i >> 8}.${i & 255 || 1}`,
      address: '172.30.0.10',
      protocol: 'tcp' as const,
      port: 5432,
    }));
    nft(renderRuleset('rnwg0', ['10.201.0.0/16'], grants));
    nft(renderRuleset('rnwg0', ['10.201.0.0/16'], grants.slice(0, 1)));
    const text = list();
    expect(text).toContain('10.201.0.1 . 172.30.0.10 . 5432');
    expect(text).not.toContain('10.201.0.2 . 172.30.0.10');
    expect(text.match(/table inet rustronaut_rnwg0/g)).toHaveLength(1);
  });

  it('refuses an interface name that could change the script', () => {
    expect(() => renderRuleset('wg0"; flush ruleset', [], [])).toThrow(/not valid/);
  });
});
