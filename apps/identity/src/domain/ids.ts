import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A readable, URL- and subject-safe id: `usr_k3x9…` (16 random characters, about 82 bits). */
export function newId(prefix: 'org' | 'usr' | 'grp' | 'key' | 'ses'): string {
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

export const DEFAULT_ORG_ID = 'org_default';
