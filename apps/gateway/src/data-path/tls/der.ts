/**
 * Just enough DER (ITU-T X.690) for the certificates the local CA makes: the writers build the
 * fields of an X.509 certificate (RFC 5280), the reader finds one inside another. Written out here
 * so that a gateway making its CA or a leaf loads no ASN.1/X.509 library (one costs ~15 MB resident).
 */

function lengthOf(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One element: its tag, its length, its contents. */
export const tlv = (tag: number, contents: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), lengthOf(contents.length), contents]);

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));
export const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
/** A BIT STRING of whole bytes, or of `unusedBits` fewer bits than them (key usage flags). */
export const bitString = (bytes: Buffer, unusedBits = 0): Buffer =>
  tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
/** A PrintableString when the text is one (as certificate names usually are), else a UTF8String. */
export const directoryString = (text: string): Buffer =>
  /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)
    ? tlv(0x13, Buffer.from(text, 'ascii'))
    : tlv(0x0c, Buffer.from(text, 'utf8'));
/** `[n] EXPLICIT` around an element. */
export const explicit = (n: number, element: Buffer): Buffer => tlv(0xa0 | n, element);

/** A non-negative INTEGER from its big-endian bytes (leading zeros dropped, a sign byte added). */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = bytes.subarray(start);
  return tlv(0x02, (value[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

export function objectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const groups = [arc % 128];
    for (let high = Math.floor(arc / 128); high > 0; high = Math.floor(high / 128))
      groups.unshift(0x80 | (high % 128));
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after; whole seconds, UTC. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-07T05:50:00.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** An element found in DER bytes: its tag, where its contents are, and where it ends. */
export interface DerElement {
  tag: number;
  /** The whole element (tag and length included). */
  bytes: Buffer;
  contents: Buffer;
}

/** The element at `offset` of `der`. */
export function readElement(der: Buffer, offset = 0): DerElement {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('DER: truncated');
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] ?? 0);
    start += count;
  }
  if (start + length > der.length) throw new Error('DER: truncated');
  return { tag, bytes: der.subarray(offset, start + length), contents: der.subarray(start, start + length) };
}

/** The elements inside a constructed element (a SEQUENCE's fields). */
export function children(element: DerElement): DerElement[] {
  const found: DerElement[] = [];
  for (let offset = 0; offset < element.contents.length;) {
    const child = readElement(element.contents, offset);
    found.push(child);
    offset += child.bytes.length;
  }
  return found;
}
