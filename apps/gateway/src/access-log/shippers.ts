import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { NatsConnection } from 'nats';
import { accessLogSubject } from '@rustronaut/contracts/edge';
import type { AccessBatch, AccessShipper } from './access-log';

/**
 * Ships batches to the console's access stream on `rn.access.<org>.<gateway>` (the only access
 * subject the gateway's NATS credentials allow) and waits for JetStream's acknowledgement: a batch
 * counts as shipped once it is stored. No connection yet, or no answer: the batch is retried.
 */
export class NatsAccessShipper implements AccessShipper {
  constructor(
    private readonly gatewayId: string,
    private readonly connection: () => NatsConnection | undefined,
  ) {}

  async ship(batch: AccessBatch): Promise<void> {
    const nc = this.connection();
    if (!nc || nc.isClosed()) throw new Error('not connected to NATS');
    const payload = new TextEncoder().encode(JSON.stringify({ records: batch.records }));
    // A batch larger than NATS takes (long paths) goes in halves.
    if (payload.length > (nc.info?.max_payload ?? 1_048_576) && batch.records.length > 1) {
      const half = Math.ceil(batch.records.length / 2);
      await this.ship({ ...batch, id: `${batch.id}a`, records: batch.records.slice(0, half) });
      await this.ship({ ...batch, id: `${batch.id}b`, records: batch.records.slice(half) });
      return;
    }
    await nc.jetstream().publish(accessLogSubject(batch.orgId, this.gatewayId), payload, {
      msgID: batch.id,
      timeout: 5_000,
    });
  }
}

/** Writes records as NDJSON, one per line, with the org and gateway, to a file (appended) or stdout. */
export class NdjsonAccessShipper implements AccessShipper {
  readonly #out: WriteStream | NodeJS.WriteStream;
  #failure: Error | undefined;

  /** Opens the file at once: a path that cannot be written stops the gateway at start, saying so. */
  constructor(
    private readonly gatewayId: string,
    destination: { file: string } | 'stdout',
  ) {
    if (destination === 'stdout') this.#out = process.stdout;
    else {
      let fd: number;
      try {
        fd = openSync(destination.file, 'a');
      } catch (error) {
        throw new Error(
          `RN_GATEWAY_ACCESS_LOG: cannot open ${destination.file} for appending (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
      this.#out = createWriteStream(destination.file, { fd });
      // A write that fails later (disk full) fails its batch, which is retried, rather than the gateway.
      this.#out.on('error', (error) => (this.#failure = error));
    }
  }

  ship(batch: AccessBatch): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    let text = '';
    for (const record of batch.records)
      text += `${JSON.stringify({ orgId: batch.orgId, gatewayId: this.gatewayId, ...record })}\n`;
    return new Promise((resolve, reject) =>
      this.#out.write(text, (error) => (error ? reject(error) : resolve())),
    );
  }

  async close(): Promise<void> {
    if (this.#out === process.stdout) return;
    await new Promise<void>((resolve) => (this.#out as WriteStream).end(resolve));
  }
}

/** The shipper for RN_GATEWAY_ACCESS_LOG: the console over NATS, stdout, a file, or none (metrics only). */
export function accessShipperOf(
  destination: 'nats' | 'stdout' | 'off' | { file: string },
  gatewayId: string,
  connection: () => NatsConnection | undefined,
): AccessShipper | undefined {
  if (destination === 'off') return undefined;
  if (destination === 'nats') return new NatsAccessShipper(gatewayId, connection);
  return new NdjsonAccessShipper(gatewayId, destination);
}
