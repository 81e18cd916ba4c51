import { generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { newId } from '@rustronaut/contracts';

export interface ConfigSigningKey {
  id: string;
  privateKey: string;
  publicKey: string;
}

/** The console's Ed25519 key for site snapshots: created once, kept in the distributor's schema. */
export async function loadOrCreateSigningKey(
  db: DataSource,
  schema: string,
): Promise<{ active: ConfigSigningKey; all: ConfigSigningKey[] }> {
  const table = `"${schema}"."signing_keys"`;
  const read = async () =>
    (
      (await db.query(`SELECT kid, private_pem, public_pem FROM ${table} ORDER BY created_at DESC`)) as {
        kid: string;
        private_pem: string;
        public_pem: string;
      }[]
    ).map((r) => ({ id: r.kid, privateKey: r.private_pem, publicKey: r.public_pem }));
  let keys = await read();
  if (keys.length === 0) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await db.query(
      `INSERT INTO ${table} (kid, private_pem, public_pem) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [
        newId('key').replace('key_', 'ck_'),
        privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ],
    );
    keys = await read();
  }
  const [active] = keys;
  if (!active) throw new Error('no config signing key could be created');
  return { active, all: keys };
}
