import { AttemptLimiter } from './attempt-limiter';

describe('AttemptLimiter', () => {
  it('refuses after the allowed failures until the window ends, per key', () => {
    const sut = new AttemptLimiter(3, 60_000);
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) {
      expect(sut.retryAfter('1.2.3.4 res_1', t)).toBe(0);
      sut.failed('1.2.3.4 res_1', t);
    }
    expect(sut.retryAfter('1.2.3.4 res_1', t + 1_000)).toBe(59);
    expect(sut.retryAfter('5.6.7.8 res_1', t + 1_000)).toBe(0);
    expect(sut.retryAfter('1.2.3.4 res_1', t + 60_000)).toBe(0);
  });

  it('forgets the failures after a success', () => {
    const sut = new AttemptLimiter(2, 60_000);
    sut.failed('k', 0);
    sut.succeeded('k');
    sut.failed('k', 0);
    expect(sut.retryAfter('k', 1)).toBe(0);
  });
});
