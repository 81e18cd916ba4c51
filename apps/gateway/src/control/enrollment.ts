import { generateKeyPairSync } from 'node:crypto';
import { createUser } from '@nats-io/nkeys';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { consoleRequest } from './console-request';

/** Who this gateway is, once enrolled: kept in its data dir (mode 0600), never sent anywhere but its public key. */
export interface GatewayIdentity {
  gatewayId: string;
  orgId: string;
  siteIds: string[];
  heartbeatIntervalS: number;
  /** The UDP port the console says this gateway's WireGuard listens on (its `wireguard_port`). */
  wireguardPort?: number;
  publicKey: string;
  privateKey: string;
  /** NATS user credentials: a JWT the console signed for the nkey below (its seed never leaves here). */
  natsJwt?: string;
  natsSeed?: string;
}

export async function readIdentity(dataDir: string): Promise<GatewayIdentity | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, 'identity.json'), 'utf8')) as GatewayIdentity;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Generates a key pair, trades the enrolment token and the public key for the gateway's identity, stores it. */
export async function enroll(dataDir: string, consoleUrl: string, token: string): Promise<GatewayIdentity> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const natsUser = createUser();
  let response: Awaited<ReturnType<typeof consoleRequest>>;
  try {
    response = await consoleRequest(`${consoleUrl}/api/v1/gateways/enroll`, {
      method: 'POST',
      json: { token, public_key: publicPem, nats_public_key: natsUser.getPublicKey() },
    });
  } catch (error) {
    throw new Error(
      `console unreachable at ${consoleUrl} (${(error as Error).message}): enrolment needs it once`,
    );
  }
  const body = response.body as
    | {
        gateway_id: string;
        org_id: string;
        site_ids: string[];
        heartbeat_interval_s: number;
        nats_jwt: string;
        wireguard_port?: number;
        error?: { message: string };
      }
    | undefined;
  if (!response.ok || !body) throw new Error(`enrolment refused: ${body?.error?.message ?? response.status}`);
  const identity: GatewayIdentity = {
    gatewayId: body.gateway_id,
    orgId: body.org_id,
    siteIds: body.site_ids,
    heartbeatIntervalS: body.heartbeat_interval_s,
    ...(body.wireguard_port ? { wireguardPort: body.wireguard_port } : {}),
    publicKey: publicPem,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    natsJwt: body.nats_jwt,
    natsSeed: new TextDecoder().decode(natsUser.getSeed()),
  };
  return saveIdentity(dataDir, identity);
}

/** Writes the identity (mode 0600) and returns it. */
export async function saveIdentity(dataDir: string, identity: GatewayIdentity): Promise<GatewayIdentity> {
  const path = join(dataDir, 'identity.json');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(identity), { mode: 0o600 });
  return identity;
}
