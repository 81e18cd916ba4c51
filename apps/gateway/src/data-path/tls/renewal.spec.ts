import { needsRenewal, renewalTime, retryDelay, timerDelay } from './renewal';

describe('certificate renewal timing', () => {
  const day = 24 * 3600 * 1000;
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date(notBefore.getTime() + 90 * day);

  it('renews a 90-day certificate after 60 days (a third of its lifetime left)', () => {
    expect(renewalTime(notBefore, notAfter).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(needsRenewal(notBefore, notAfter, new Date(notBefore.getTime() + 59 * day))).toBe(false);
    expect(needsRenewal(notBefore, notAfter, new Date(notBefore.getTime() + 60 * day))).toBe(true);
    expect(needsRenewal(notBefore, notAfter, new Date(notAfter.getTime() + day))).toBe(true);
  });

  it('renews a 30-second certificate after 20 seconds', () => {
    const start = new Date(0);
    expect(renewalTime(start, new Date(30_000)).getTime()).toBe(20_000);
  });

  it('retries failures after 5 s, doubling, capped at an hour', () => {
    expect([1, 2, 3, 4].map(retryDelay)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelay(30)).toBe(3600_000);
  });

  it('arms timers within what setTimeout holds, and never in the past', () => {
    const now = new Date(0);
    expect(timerDelay(new Date(-5), now)).toBe(0);
    expect(timerDelay(new Date(1000), now)).toBe(1000);
    expect(timerDelay(new Date(60 * day), now)).toBe(2 ** 31 - 1);
  });
});
