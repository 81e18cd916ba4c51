import type { DataSource } from 'typeorm';
import { NatsAuthority } from './nats-authority';

/** The platform's NATS authority: generated on first start, kept in the registry's schema. */
export async function loadNatsAuthority(db: DataSource, schema: string): Promise<NatsAuthority> {
  const table = `"${schema}"."nats_authority"`;
  const seeds = NatsAuthority.generate();
  await db.query(
    `INSERT INTO ${table} (id, operator_seed, account_seed, system_seed) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [seeds.operator, seeds.account, seeds.system],
  );
  const [row] = (await db.query(
    `SELECT operator_seed, account_seed, system_seed FROM ${table} WHERE id = 1`,
  )) as {
    operator_seed: string;
    account_seed: string;
    system_seed: string;
  }[];
  if (!row) throw new Error('the NATS authority could not be stored');
  return new NatsAuthority({
    operator: row.operator_seed,
    account: row.account_seed,
    system: row.system_seed,
  });
}
