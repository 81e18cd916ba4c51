import { readFileSync } from 'node:fs';
import { usage } from './errors';

/** The CA certificates (PEM) to trust for a gateway, e.g. its development CA: --ca FILE or RN_CA_FILE. */
export function readCa(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw usage(
      `cannot read the CA file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'give the PEM file the gateway printed (--ca FILE or RN_CA_FILE)',
    );
  }
}
