/**
 * UDP over a tunnel: each flow (one client address and port) is one HTTP/2 stream, and each
 * datagram on it is framed as a 2-byte big-endian length and the payload. A datagram is at most
 * 65,507 bytes (the largest UDP payload over IPv4), so the length always fits.
 */
export const MAX_DATAGRAM = 65_507;

export function encodeDatagram(payload: Buffer): Buffer {
  if (payload.length > MAX_DATAGRAM) throw new RangeError(`datagram of ${payload.length} bytes`);
  const frame = Buffer.allocUnsafe(2 + payload.length);
  frame.writeUInt16BE(payload.length, 0);
  payload.copy(frame, 2);
  return frame;
}

/**
 * Splits a byte stream back into datagrams, across chunk boundaries. Holds at most one partial
 * datagram; a length over MAX_DATAGRAM is a protocol error (the caller closes the stream).
 */
export class DatagramReader {
  #pending: Buffer = Buffer.alloc(0);

  /** The complete datagrams in what has arrived, or an error once the stream cannot be trusted. */
  push(chunk: Buffer): Buffer[] | { error: string } {
    let data = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (data.length >= 2) {
      const length = data.readUInt16BE(0);
      if (length > MAX_DATAGRAM) return { error: `datagram length ${length} over ${MAX_DATAGRAM}` };
      if (data.length < 2 + length) break;
      out.push(Buffer.from(data.subarray(2, 2 + length)));
      data = data.subarray(2 + length);
    }
    this.#pending = Buffer.from(data);
    return out;
  }
}
