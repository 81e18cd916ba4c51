import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SignedSnapshot } from '@rustronaut/contracts';

/**
 * A site's signed snapshot on the gateway's disk: written to a temporary file, fsynced, renamed
 * over the old one and the directory fsynced, so a crash leaves the old copy or the new, never half.
 */
export class SnapshotFiles {
  constructor(private readonly dataDir: string) {}

  pathOf(siteId: string): string {
    return join(this.dataDir, 'sites', `${siteId}.json`);
  }

  async write(siteId: string, signed: SignedSnapshot): Promise<void> {
    const path = this.pathOf(siteId);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(signed));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    const directory = await open(dirname(path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  /** The stored copy, unparsed (the caller verifies it), or undefined when there is none. */
  async read(siteId: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.pathOf(siteId), 'utf8')) as unknown;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { unreadable: (error as Error).message };
    }
  }
}
