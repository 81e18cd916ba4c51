/**
 * A projection process for the crash tests: runs the ledger projection until it has applied the
 * stream up to RN_TEST_STOP_AT, or SIGKILLs itself right after committing RN_TEST_CRASH_AT and
 * before acknowledging it (the worst moment to die). Prints "ready" once started.
 */
import 'reflect-metadata';
import { connect } from 'nats';
import { DataSource } from 'typeorm';
import { ProjectionRunner } from '../projection/projection-runner';
import { ledgerProjection } from './ledger-projection';
import { ledgerRegistry } from './ledger-events';

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const crashAt = Number(process.env['RN_TEST_CRASH_AT'] ?? 0);
  const stopAt = Number(env('RN_TEST_STOP_AT'));
  const schema = env('RN_TEST_SCHEMA');
  const nc = await connect({ servers: env('RN_TEST_NATS_URL') });
  const dataSource = new DataSource({
    type: 'postgres',
    url: env('RN_TEST_DATABASE_URL'),
    extra: { max: 2, options: `-c search_path=${schema}` },
  });
  await dataSource.initialize();
  const runner = new ProjectionRunner({
    nc,
    dataSource,
    schema,
    registry: ledgerRegistry,
    projection: ledgerProjection(env('RN_TEST_PROJECTION')),
    name: env('RN_TEST_STREAM'),
    subjectRoot: env('RN_TEST_SUBJECT_ROOT'),
    catchUpBatch: Number(process.env['RN_TEST_CATCH_UP_BATCH'] ?? 256),
    ackWaitMs: Number(process.env['RN_TEST_ACK_WAIT_MS'] ?? 5_000),
    onApplied: (sequence) => {
      if (sequence === crashAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  await runner.start();
  process.stdout.write('ready\n');
  await runner.waitFor(stopAt, 60_000);
  await runner.stop();
  await nc.drain();
  await dataSource.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
