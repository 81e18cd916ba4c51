import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** The prefixes of the platform's ids, one per kind of thing. */
export type IdPrefix =
  | 'org'
  | 'usr'
  | 'grp'
  | 'key'
  | 'ses'
  | 'st'
  | 'res'
  | 'tgt'
  | 'pol'
  | 'gw'
  | 'lnk'
  | 'dev'
  | 'idp'
  | 'xsi'
  | 'tis';

/** A readable, URL- and subject-safe id: `usr_k3x9…` (16 random characters, about 82 bits). */
export function newId(prefix: IdPrefix): string {
  let out = '';
  for (const b of randomBytes(16)) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}
