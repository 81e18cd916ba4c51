import type { NatsConnection } from 'nats';
import { serviceHealthSubject, type ServiceHealth } from '@rustronaut/contracts';
import { MessagingError, MessagingErrorCode } from '@rustronaut/messaging';
import type { Reporter } from './infrastructure';

/** How long `npm start` waits for one part, and how often it says it is still waiting. */
export interface Patience {
  timeoutMs: number;
  progressEveryMs: number;
}

export const DEFAULT_PATIENCE: Patience = { timeoutMs: 120_000, progressEveryMs: 5_000 };

/**
 * Tries `attempt` every 250 ms while it fails in a way worth waiting out, saying every few seconds
 * that it is still waiting; after the bound, throws saying what did not answer and the last reason.
 */
export async function patiently<T>(
  what: string,
  attempt: () => Promise<T>,
  options: { retryable?: (error: unknown) => boolean; report: Reporter; patience?: Patience },
): Promise<T> {
  const patience = options.patience ?? DEFAULT_PATIENCE;
  const started = Date.now();
  let nextProgress = started + patience.progressEveryMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const waited = Date.now() - started;
      if (options.retryable && !options.retryable(error)) throw error;
      if (waited >= patience.timeoutMs)
        throw new Error(
          `${what} did not answer within ${Math.round(patience.timeoutMs / 1000)} s ` +
            `(${(error as Error).message}); see the output above`,
          { cause: error },
        );
      if (Date.now() >= nextProgress) {
        options.report.step(`still waiting for ${what} (${Math.round(waited / 1000)} s)`);
        nextProgress += patience.progressEveryMs;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Asks a service's health subject until it answers: its read model caught up, its handlers listening. */
export function untilHealthy(
  nc: NatsConnection,
  service: string,
  report: Reporter,
  patience?: Patience,
): Promise<ServiceHealth> {
  return patiently(
    service,
    async () =>
      (await nc.request(serviceHealthSubject(service), '', { timeout: 1_000 })).json<ServiceHealth>(),
    { report, ...(patience ? { patience } : {}) },
  );
}

/**
 * A request to the console, repeated while the service it needs is unavailable: one that has just
 * become ready on one NATS server may not yet be known to the other servers of a cluster (interest
 * travels between them), so "no subscribers" is waited out within the bound.
 */
export function whenAnswered<T>(what: string, attempt: () => Promise<T>, report: Reporter): Promise<T> {
  return patiently(what, attempt, {
    report,
    retryable: (error) =>
      error instanceof MessagingError && error.code === MessagingErrorCode.ServiceUnavailable,
  });
}

/** Waits until an HTTP URL answers 2xx. */
export function untilServes(url: string, report: Reporter): Promise<void> {
  return patiently(
    url,
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    },
    { report },
  );
}
