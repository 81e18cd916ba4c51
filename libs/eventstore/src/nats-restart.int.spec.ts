import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { TestNatsServer } from '@rustronaut/testing';
import { ledgerRegistry, testActor, type LedgerDefinition } from './__fixtures__/ledger-events';
import { EventStoreError, EventStoreErrorCode } from './errors';
import { EventStore } from './event-store';
import { ensureEventStream } from './stream';

/**
 * NATS goes away while commands are being appended. Whatever the store acknowledged must be in
 * the stream afterwards; what it did not acknowledge may be retried with the same command id and
 * is then stored once.
 */
describe('EventStore across a NATS restart (own nats-server)', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await TestNatsServer.start();
    nc = await connect({
      servers: server.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
      name: 'restart-int',
    });
    await ensureEventStream(await nc.jetstreamManager());
  });
  afterAll(async () => {
    await nc.close();
    await server.dispose();
  });

  it.each([
    ['a clean restart (SIGTERM)', 'SIGTERM' as const],
    ['a crash (SIGKILL)', 'SIGKILL' as const],
  ])('keeps every acknowledged append through %s', async (_label, signal) => {
    const sut = new EventStore<LedgerDefinition>({ nc, registry: ledgerRegistry, publishTimeoutMs: 1_000 });
    const run = randomUUID().slice(0, 8);
    const acknowledged = new Map<string, string>(); // account id → command id
    const unanswered: { account: string; commandId: string }[] = [];
    const total = 300;
    let next = 0;

    const appendOne = async (account: string, commandId: string) =>
      sut.append({ type: 'account', id: account }, 0, [{ type: 'AccountOpened', data: { owner: account } }], {
        commandId,
        orgId: 'org_test',
        actor: testActor,
      });

    const writer = async () => {
      while (next < total) {
        const i = next++;
        const account = `r${run}_${i}`;
        const commandId = randomUUID();
        try {
          await appendOne(account, commandId);
          acknowledged.set(account, commandId);
        } catch (error) {
          expect(error).toBeInstanceOf(EventStoreError);
          expect((error as EventStoreError).code).toBe(EventStoreErrorCode.Unavailable);
          unanswered.push({ account, commandId });
        }
      }
    };

    const restart = (async () => {
      while (acknowledged.size < 100) await new Promise((r) => setTimeout(r, 2));
      await server.stop(signal);
      await new Promise((r) => setTimeout(r, 500));
      await server.restart();
    })();
    await Promise.all([writer(), writer(), writer(), writer(), restart]);

    expect(acknowledged.size).toBeGreaterThan(100);
    expect(unanswered.length).toBeGreaterThan(0); // the restart really happened under load

    // Every acknowledged append is there, exactly once.
    for (const [account, commandId] of acknowledged) {
      const loaded = await sut.load({ type: 'account', id: account });
      expect(loaded.events.map((e) => e.commandId)).toEqual([commandId]);
    }
    // An unanswered append retried with its command id ends up stored exactly once.
    for (const { account, commandId } of unanswered) {
      const retried = await appendOne(account, commandId);
      expect(retried.events).toHaveLength(1);
      expect((await sut.load({ type: 'account', id: account })).events).toHaveLength(1);
    }
  });
});
