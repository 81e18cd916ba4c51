import { z } from 'zod';

/**
 * The tunnel handshake, before the connection turns into HTTP/2: the client says who it is and
 * what it offers (Hello), the gateway accepts with what it bound (Welcome) or refuses (Refused).
 *
 * On the wire each message is one frame: the 4 bytes `RNT1`, a 4-byte big-endian length, then that
 * many bytes of UTF-8 JSON. A frame is at most 64 KiB, so a hostile peer cannot make either side
 * buffer more than that.
 */
export const HANDSHAKE_MAGIC = Buffer.from('RNT1', 'ascii');
export const MAX_HANDSHAKE_FRAME = 64 * 1024;
const HEADER = HANDSHAKE_MAGIC.length + 4;

/** Protocol versions this code speaks; the gateway picks the highest both sides know. */
export const TUNNEL_PROTOCOL_VERSIONS = [1] as const;

export const OfferedServiceSchema = z.strictObject({
  /** The client's name for it; streams for it carry this as :authority. */
  name: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
  protocol: z.enum(['http', 'tcp', 'udp']),
  /** The console's id of an exposed service this serves, when it has one. */
  serviceId: z.string().min(1).max(64).optional(),
});
export type OfferedService = z.infer<typeof OfferedServiceSchema>;

export const HelloSchema = z.strictObject({
  type: z.literal('hello'),
  versions: z.array(z.number().int().min(1).max(65535)).min(1).max(16),
  token: z.string().min(1).max(4096),
  /** Free text for logs and the console (`rustronaut/0.1 linux`). */
  agent: z.string().max(200).default(''),
  services: z.array(OfferedServiceSchema).max(256),
});
export type Hello = z.infer<typeof HelloSchema>;

export const BoundServiceSchema = z.strictObject({
  name: z.string(),
  protocol: z.enum(['http', 'tcp', 'udp']),
  /** Where people reach it: `https://dev-abc.example.com` or `tcp://gw.example.com:40123`. */
  publicUrl: z.string(),
});
export type BoundService = z.infer<typeof BoundServiceSchema>;

export const WelcomeSchema = z.strictObject({
  type: z.literal('welcome'),
  version: z.number().int(),
  tunnelId: z.string(),
  services: z.array(BoundServiceSchema),
  /** Seconds between keep-alive pings the gateway expects at least. */
  keepAliveS: z.number().int().min(1).max(3600),
});
export type Welcome = z.infer<typeof WelcomeSchema>;

export const RefusedSchema = z.strictObject({
  type: z.literal('refused'),
  code: z.string(),
  message: z.string(),
  /** When set, the client should not retry before this many seconds (and not at all when 0). */
  retryAfterS: z.number().int().min(0).nullable(),
});
export type Refused = z.infer<typeof RefusedSchema>;

export type HandshakeMessage = Hello | Welcome | Refused;
const MessageSchema = z.discriminatedUnion('type', [HelloSchema, WelcomeSchema, RefusedSchema]);

export function encodeFrame(message: HandshakeMessage): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_HANDSHAKE_FRAME) throw new RangeError('handshake message over 64 KiB');
  const header = Buffer.alloc(HEADER);
  HANDSHAKE_MAGIC.copy(header, 0);
  header.writeUInt32BE(body.length, HANDSHAKE_MAGIC.length);
  return Buffer.concat([header, body]);
}

export type FrameResult =
  | { kind: 'more' }
  | { kind: 'frame'; message: HandshakeMessage; rest: Buffer }
  | { kind: 'invalid'; reason: string };

/**
 * Reads one handshake frame from the bytes received so far. Never throws: it answers `more` (wait
 * for bytes), `frame` (with whatever followed it, which belongs to HTTP/2), or `invalid` (close).
 */
export function readFrame(received: Buffer): FrameResult {
  const magicBytes = Math.min(received.length, HANDSHAKE_MAGIC.length);
  if (!received.subarray(0, magicBytes).equals(HANDSHAKE_MAGIC.subarray(0, magicBytes)))
    return { kind: 'invalid', reason: 'not a Rustronaut tunnel (bad magic)' };
  if (received.length < HEADER) return { kind: 'more' };
  const length = received.readUInt32BE(HANDSHAKE_MAGIC.length);
  if (length > MAX_HANDSHAKE_FRAME) return { kind: 'invalid', reason: `handshake frame of ${length} bytes` };
  if (received.length < HEADER + length) return { kind: 'more' };
  let json: unknown;
  try {
    json = JSON.parse(received.subarray(HEADER, HEADER + length).toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'handshake frame is not JSON' };
  }
  const parsed = MessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: 'invalid',
      reason: `handshake message invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`,
    };
  }
  return { kind: 'frame', message: parsed.data, rest: received.subarray(HEADER + length) };
}

/** The highest version both sides speak, or undefined. */
export function negotiateVersion(offered: readonly number[]): number | undefined {
  return [...TUNNEL_PROTOCOL_VERSIONS].reverse().find((v) => offered.includes(v));
}
