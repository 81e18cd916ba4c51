import { randomBytes, randomInt } from 'node:crypto';
import { WireGuardError } from './errors';
import { forBudget, mutateText } from './fuzz.spec-support';
import { generateKeyPair } from './keys';
import { parseWgQuick, renderWgQuick, type WgQuickConfig } from './wg-quick';

const key = () => randomBytes(32).toString('base64');

function randomConfig(): WgQuickConfig {
  const ip = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(256)}`;
  return {
    interface: {
      privateKey: key(),
      addresses: [`${ip()}/32`, ...(randomInt(2) ? ['fd00::2/128'] : [])],
      dns: randomInt(2) ? [ip()] : [],
      ...(randomInt(2) ? { listenPort: randomInt(65536) } : {}),
      ...(randomInt(2) ? { mtu: 1280 + randomInt(200) } : {}),
    },
    peers: Array.from({ length: 1 + randomInt(3) }, () => ({
      publicKey: key(),
      allowedIps: Array.from({ length: 1 + randomInt(3) }, () => `${ip()}/${randomInt(33)}`),
      ...(randomInt(2)
        ? {
            endpoint: randomInt(2)
              ? `vpn-${randomInt(99)}.example.com:${1 + randomInt(65535)}`
              : `${ip()}:51820`,
          }
        : {}),
      ...(randomInt(2) ? { persistentKeepalive: randomInt(100) } : {}),
      ...(randomInt(4) === 0 ? { presharedKey: key() } : {}),
    })),
  };
}

describe('wg-quick configs', () => {
  it('read back what they render, for generated configs', () => {
    const runs = forBudget(() => {
      const config = randomConfig();
      expect(parseWgQuick(renderWgQuick(config, 'device laptop\nsite HQ'))).toEqual(config);
    });
    expect(runs).toBeGreaterThan(20);
  });

  it('read what wg-quick users write: any case, comments, blank lines, off keepalive', () => {
    const priv = generateKeyPair().privateKey;
    const pub = key();
    const sut = parseWgQuick(
      `# mine\r\n[interface]\r\nprivatekey=${priv}\r\naddress = 10.1.0.2/32 , fd00::2/128\r\n\r\n[PEER]\nPublicKey = ${pub} # gateway\nAllowedIPs=10.1.0.0/24\nAllowedIPs=10.2.0.0/24\nPersistentKeepalive = off\n`,
    );
    expect(sut).toEqual({
      interface: { privateKey: priv, addresses: ['10.1.0.2/32', 'fd00::2/128'], dns: [] },
      peers: [{ publicKey: pub, allowedIps: ['10.1.0.0/24', '10.2.0.0/24'], persistentKeepalive: 0 }],
    });
  });

  it('refuse commands, duplicates, missing keys and junk with the line they are on', () => {
    const priv = generateKeyPair().privateKey;
    const cases: [string, RegExp][] = [
      [`[Interface]\nPrivateKey = ${priv}\nPostUp = rm -rf /\n`, /line 3: PostUp is not supported/],
      [`[Interface]\nPrivateKey = ${priv}\nPrivateKey = ${priv}\n`, /line 3: PrivateKey is given twice/],
      ['[Interface]\nAddress = 10.0.0.1/32\n', /no PrivateKey/],
      [
        `[Interface]\nPrivateKey = ${priv}\n[Peer]\nAllowedIPs = 0.0.0.0/0\n`,
        /\[Peer\] number 1 has no PublicKey/,
      ],
      [`[Interface]\nPrivateKey = ${priv}\nAddress = 10.0.0.1/33\n`, /line 3: .* is not an address/],
      ['PrivateKey = x\n', /line 1: a key before any/],
      ['', /no \[Interface\]/],
    ];
    for (const [text, message] of cases) expect(() => parseWgQuick(text)).toThrow(message);
  });

  it('read any mangled config as a config or a WireGuardError, nothing else', () => {
    const text = renderWgQuick(randomConfig());
    const runs = forBudget(() => {
      try {
        const sut = parseWgQuick(mutateText(text));
        // whatever it accepted renders to a config that reads back the same
        expect(parseWgQuick(renderWgQuick(sut))).toEqual(sut);
      } catch (error) {
        expect(error).toBeInstanceOf(WireGuardError);
      }
    });
    expect(runs).toBeGreaterThan(20);
  });
});
