import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, isWireGuardKey, publicKeyOf, type WireGuardKeyPair } from '@rustronaut/wireguard';

/** What this machine remembers of its device in a site (the key stays here, mode 0600). */
export interface SiteDevice {
  siteId: string;
  siteName: string;
  deviceId: string | null;
  consoleUrl: string;
  interface: string;
  keys: WireGuardKeyPair;
}

/**
 * `<config dir>/wireguard/<site id>.json`: the device's private key (generated here, never sent
 * anywhere), its device id once registered, and the interface it uses. Written 0600, atomically.
 */
export class VpnState {
  readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'wireguard');
  }

  #path(siteId: string) {
    return join(this.dir, `${siteId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  }

  /** The site's device, or a new one with a fresh key pair (not yet registered). */
  load(siteId: string, siteName: string, consoleUrl: string): SiteDevice {
    const path = this.#path(siteId);
    if (existsSync(path)) {
      try {
        const stored = JSON.parse(readFileSync(path, 'utf8')) as SiteDevice;
        if (isWireGuardKey(stored.keys?.privateKey) && stored.consoleUrl === consoleUrl)
          return {
            ...stored,
            siteName,
            keys: { privateKey: stored.keys.privateKey, publicKey: publicKeyOf(stored.keys.privateKey) },
          };
      } catch {
        // unreadable: start again with a new key
      }
    }
    return {
      siteId,
      siteName,
      deviceId: null,
      consoleUrl,
      interface: interfaceName(siteId),
      keys: generateKeyPair(),
    };
  }

  save(device: SiteDevice): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.#path(device.siteId);
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(device, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  }

  forget(siteId: string): void {
    rmSync(this.#path(siteId), { force: true });
  }

  all(): SiteDevice[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        try {
          return [JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as SiteDevice];
        } catch {
          return [];
        }
      });
  }
}

/** `rn-` and a short, stable piece of the site id (interface names have at most 15 characters). */
export function interfaceName(siteId: string): string {
  return `rn-${siteId
    .replace(/^st_/, '')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12)}`;
}
