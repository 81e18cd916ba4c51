import type * as QRCodeModule from 'qrcode';

// A wg-quick config as a QR code, which the official WireGuard apps scan ("Create from QR code").
// Medium error correction: a full config (about 300 bytes) stays a comfortable size to scan.

const OPTIONS = { errorCorrectionLevel: 'M' as const, margin: 2 };

/** qrcode (about 8 MB resident) is loaded on the first QR drawn, not by every user of this lib (the gateway). */
let qrcode: typeof QRCodeModule | undefined;
const QRCode = (): typeof QRCodeModule => (qrcode ??= require('qrcode') as typeof QRCodeModule);

export function qrSvg(text: string): Promise<string> {
  return QRCode().toString(text, { ...OPTIONS, type: 'svg' });
}

export function qrPng(text: string): Promise<Buffer> {
  return QRCode().toBuffer(text, { ...OPTIONS, type: 'png', scale: 6 });
}

/** For a terminal: half-height blocks, so the code fits on a laptop screen. */
export function qrTerminal(text: string): Promise<string> {
  return QRCode().toString(text, { ...OPTIONS, type: 'terminal', small: true });
}
