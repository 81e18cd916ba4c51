import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { PolicyData, ResourceData, SiteData, TargetData } from '../events/policy.events';
import type { Role } from '../events/identity.events';
import type { SnapshotTokenIssuer } from '../token-issuers';

/**
 * Everything a gateway needs to serve one site alone: its resources and targets, the policies
 * that govern them, the group memberships those policies name, and the keys that verify users'
 * tokens. `revision` is the stream sequence of the last event folded in: it only ever grows.
 */
export interface SiteSnapshot {
  format: 1;
  siteId: string;
  orgId: string;
  revision: number;
  issuedAt: string;
  site: SiteData;
  resources: (ResourceData & {
    id: string;
    targets: (TargetData & { id: string })[];
    /** The resource's own ways in without an account, when it has any. */
    access?: ResourceAccess;
    /** The issuers whose bearer tokens it admits (machine / service access), when it trusts any. */
    tokenIssuers?: SnapshotTokenIssuer[];
  })[];
  policies: (PolicyData & { id: string })[];
  /** group id → user ids, for the groups the policies name. */
  groups: Record<string, string[]>;
  /**
   * For a site whose targets are reached through a connector (`connection_type: "tunnel"`): the
   * SHA-256 of its connector token. Absent or null: no connector may serve this site.
   */
  connector?: { tokenHash: string } | null;
  /** Public keys (JWK) that verify the console's access tokens. */
  jwks: Record<string, unknown>[];
  /**
   * The site's secret for the resource session cookies its gateways set (HMAC-SHA256 key,
   * base64url): every gateway of the site accepts a cookie another one set. Absent in snapshots
   * from consoles that predate it (no cookie sessions then).
   */
  sessionSecret?: string;
  /**
   * Console sessions (and exchanged API keys) of the organisation that were ended and could still
   * hold a live token or resource cookie: a gateway refuses them (pushed with the snapshot).
   */
  revokedSessions?: string[];
  /**
   * The site's WireGuard devices (peers of its gateways' interfaces), with what the policies need
   * to know of their owner. A revoked device, or one whose owner was deleted, is not here.
   * Absent in snapshots from consoles that predate devices (then no peers).
   */
  devices?: SnapshotDevice[];
}

/** A WireGuard device in a site snapshot: the peer, and its owner as the policies see them. */
export interface SnapshotDevice {
  id: string;
  name: string;
  publicKey: string;
  /** Its one address in the site's subnet (the gateway routes it as a /32 or /128). */
  address: string;
  userId: string;
  role: Role;
}

/** A resource's PIN / password (scrypt hashes) and live share links (SHA-256 of their tokens). */
export interface ResourceAccess {
  pinHash?: string;
  passwordHash?: string;
  shareLinks: { id: string; tokenSha256: string; expiresAt: string }[];
}

/** What travels on NATS and sits on the gateway's disk: the exact signed bytes and their signature. */
export interface SignedSnapshot {
  keyId: string;
  payload: string;
  signature: string;
}

export type SnapshotRefusal = 'malformed' | 'unknown-key' | 'bad-signature' | 'wrong-site';

export function signSnapshot(
  snapshot: SiteSnapshot,
  key: { id: string; privateKey: KeyObject | string },
): SignedSnapshot {
  const payload = Buffer.from(JSON.stringify(snapshot));
  const privateKey = typeof key.privateKey === 'string' ? createPrivateKey(key.privateKey) : key.privateKey;
  return {
    keyId: key.id,
    payload: payload.toString('base64'),
    signature: sign(null, payload, privateKey).toString('base64'),
  };
}

/**
 * Checks a signed snapshot against the console's public keys (PEM by key id) and returns it, or
 * says why it is refused. The signature covers the exact payload bytes, so any change is caught.
 */
export function verifySnapshot(
  raw: unknown,
  publicKeys: Record<string, string>,
  siteId?: string,
): { ok: true; snapshot: SiteSnapshot } | { ok: false; reason: SnapshotRefusal } {
  const signed = raw as Partial<SignedSnapshot> | null;
  if (
    !signed ||
    typeof signed.payload !== 'string' ||
    typeof signed.signature !== 'string' ||
    typeof signed.keyId !== 'string'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const pem = publicKeys[signed.keyId];
  if (!pem) return { ok: false, reason: 'unknown-key' };
  const payload = Buffer.from(signed.payload, 'base64');
  let valid = false;
  try {
    valid = verify(null, payload, createPublicKey(pem), Buffer.from(signed.signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'bad-signature' };
  let snapshot: SiteSnapshot;
  try {
    snapshot = JSON.parse(payload.toString('utf8')) as SiteSnapshot;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (snapshot.format !== 1 || typeof snapshot.revision !== 'number')
    return { ok: false, reason: 'malformed' };
  if (siteId !== undefined && snapshot.siteId !== siteId) return { ok: false, reason: 'wrong-site' };
  return { ok: true, snapshot };
}

/** The JetStream key-value bucket holding the latest signed snapshot of every site (key: site id). */
export const SITE_CONFIG_BUCKET = 'RN_SITE_CONFIG';

/** Where a site's snapshots are published (gateways may subscribe only to their own sites'). */
export const siteConfigSubject = (siteId: string) => `rn.config.site.${siteId}`;
/** Where a gateway asks for a site's current snapshot. */
export const siteConfigRequestSubject = (siteId: string) => `rn.config.get.${siteId}`;
