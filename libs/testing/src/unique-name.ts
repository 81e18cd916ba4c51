import { randomBytes } from 'node:crypto';

/** A name no other test run uses: `<prefix>_<12 hex>` (valid as a stream, subject token and SQL identifier). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}
