import { GatewayBuckets } from './gateway-buckets';

const logger = () => {
  const lines: string[] = [];
  const log = (a: unknown, b?: string) => void lines.push(typeof a === 'string' ? a : (b ?? ''));
  return { lines, logger: { warn: log, error: log, info: log } as never };
};

describe('GatewayBuckets: one rate limit per key for all the workers of a gateway', () => {
  const limit = { requestsPerMinute: 60, burst: 5 };

  it('grants a burst once per key, whichever worker asks, and refills at the rate', async () => {
    let now = 1_000_000;
    const sut = new GatewayBuckets(undefined, logger().logger, () => now);
    const taken = await Promise.all(Array.from({ length: 8 }, () => sut.take('res_1:*', limit)));
    expect(taken.filter((w) => w === 0)).toHaveLength(5);
    expect(taken.slice(5)).toEqual([1000, 1000, 1000]);
    expect(await sut.take('res_2:*', limit)).toBe(0); // another key has its own bucket
    now += 1000;
    expect(await sut.take('res_1:*', limit)).toBe(0);
    expect(await sut.take('res_1:*', limit)).toBeGreaterThan(0);
  });

  it('counts in memory while Redis fails, says so once, and says when it is back', async () => {
    let up = false;
    const redis = {
      take: () => (up ? Promise.resolve(0) : Promise.reject(new Error('timeout'))),
      close: () => undefined,
    };
    const { lines, logger: log } = logger();
    const sut = new GatewayBuckets(redis, log, () => 0);
    const taken = [];
    for (let i = 0; i < 7; i++) taken.push(await sut.take('k', limit));
    expect(taken.filter((w) => w === 0)).toHaveLength(5);
    expect(lines.filter((l) => /Redis is not answering/.test(l))).toHaveLength(1);
    up = true;
    expect(await sut.take('k', limit)).toBe(0);
    expect(lines.filter((l) => /Redis answers again/.test(l))).toHaveLength(1);
  });
});
