/** When certificates are renewed and how failures are retried: pure arithmetic, no timers. */

/** A certificate is renewed once less than a third of its lifetime remains. */
export function renewalTime(notBefore: Date, notAfter: Date): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notAfter.getTime() - lifetime / 3);
}

export function needsRenewal(notBefore: Date, notAfter: Date, now: Date): boolean {
  return now.getTime() >= renewalTime(notBefore, notAfter).getTime();
}

const FIRST_RETRY_MS = 5_000;
const LAST_RETRY_MS = 3600_000;

/** The wait before retry number `attempt` (1, 2, …) of a failed issuance: 5 s doubling, at most an hour. */
export function retryDelay(attempt: number): number {
  return Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
}

/** A timer's delay towards `at`: never negative, and within what setTimeout can hold (~24.8 days; re-armed then). */
export function timerDelay(at: Date, now: Date): number {
  return Math.min(2 ** 31 - 1, Math.max(0, at.getTime() - now.getTime()));
}
