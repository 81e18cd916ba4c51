/** `::ffff:1.2.3.4` (a v4 client on a dual-stack socket) is `1.2.3.4`. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
