import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SignedSnapshot } from '@rustronaut/contracts';

/**
 * A site's signed snapshot on the gateway's disk: written to a temporary file, fsynced, renamed
 * over the old one and the directory fsynced, so a crash leaves the old copy or the new, never half.
 */
export class SnapshotFiles {
  /** Per site, the write in progress: writes of one site run one after the other, in order. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(private readonly dataDir: string) {}

  pathOf(siteId: string): string {
    return join(this.dataDir, 'sites', `${siteId}.json`);
  }

  /**
   * Two snapshots of a site applied in a burst are written in the order they were accepted (the
   * newest last), never at once: they would share the temporary file and one rename would fail.
   */
  write(siteId: string, signed: SignedSnapshot): Promise<void> {
    const previous = this.#writes.get(siteId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#write(siteId, signed));
    this.#writes.set(siteId, next);
    void next
      .finally(() => {
        if (this.#writes.get(siteId) === next) this.#writes.delete(siteId);
      })
      .catch(() => undefined);
    return next;
  }

  async #write(siteId: string, signed: SignedSnapshot): Promise<void> {
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
