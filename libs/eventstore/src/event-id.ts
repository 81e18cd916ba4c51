import { createHash } from 'node:crypto';

/**
 * The id of the n-th event of a command, derived from the command id: a retried command makes
 * the very same events, so nothing downstream can tell a retry from the first attempt.
 */
export function eventIdFor(commandId: string, index: number): string {
  const h = createHash('sha256').update(`${commandId}\u0000${index}`).digest();
  h.writeUInt8((h.readUInt8(6) & 0x0f) | 0x50, 6); // version 5-style (name-based)
  h.writeUInt8((h.readUInt8(8) & 0x3f) | 0x80, 8); // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
