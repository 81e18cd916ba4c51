import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import type { PlatformProcess } from '@rustronaut/console-testing';

/**
 * What a test prints when a console service did not come back after a restart: the platform's
 * processes, the database's sessions (who waits on a lock, held by whom, who sits idle in a
 * transaction) and the event stream's consumers (delivered, ack floor, pending, waiting pulls).
 * Each part is best effort: a part that cannot be read says why.
 */
export async function stuckStartReport(platform: PlatformProcess, nc: NatsConnection): Promise<string> {
  const parts: string[] = [];
  parts.push(
    'processes:\n' +
      platform
        .processes()
        .map((p) => `  ${p.pid} ${p.role}`)
        .join('\n'),
  );
  try {
    const client = new Client({ connectionString: platform.database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT pid, client_port, application_name, state, wait_event_type, wait_event,
                now() - xact_start AS in_transaction, pg_blocking_pids(pid) AS blocked_by,
                left(query, 160) AS query
           FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      parts.push('database sessions:\n' + rows.map((r) => `  ${JSON.stringify(r)}`).join('\n'));
    } finally {
      await client.end();
    }
  } catch (error) {
    parts.push(`database sessions: not read (${(error as Error).message})`);
  }
  try {
    const jsm = await nc.jetstreamManager();
    const stream = await jsm.streams.info('RN_EVENTS');
    const consumers: string[] = [];
    for await (const c of jsm.consumers.list('RN_EVENTS')) {
      consumers.push(
        `  ${c.name} ${JSON.stringify({
          filter: c.config.filter_subject ?? c.config.filter_subjects,
          delivered: c.delivered.stream_seq,
          ack_floor: c.ack_floor.stream_seq,
          ack_pending: c.num_ack_pending,
          pending: c.num_pending,
          waiting: c.num_waiting,
          redelivered: c.num_redelivered,
        })}`,
      );
    }
    parts.push(`stream RN_EVENTS last_seq ${stream.state.last_seq}; consumers:\n${consumers.join('\n')}`);
  } catch (error) {
    parts.push(`consumers: not read (${(error as Error).message})`);
  }
  return parts.join('\n');
}
