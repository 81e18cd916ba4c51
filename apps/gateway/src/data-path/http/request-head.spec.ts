import type { IncomingMessage } from 'node:http';
import { RequestHeadLimits } from './request-head';

const request = (rawHeaders: string[], over: Partial<IncomingMessage> = {}) =>
  ({
    rawHeaders,
    headers: {},
    httpVersionMajor: 1,
    method: 'GET',
    url: '/',
    ...over,
  }) as unknown as IncomingMessage;

describe('RequestHeadLimits', () => {
  const sut = new RequestHeadLimits(1024, 20);
  const fields = (n: number) => Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']).flat();

  it('refuses more header fields than the limit with 431, and lets Node keep one more to see it', () => {
    expect(sut.check(request(['Host', 'a', ...fields(19)]))).toBeUndefined();
    expect(sut.check(request(['Host', 'a', ...fields(20)]))).toMatchObject({ status: 431 });
    expect(sut.parserHeadersCount).toBe(21);
  });

  it('measures an HTTP/2 head (pseudo-headers as the request line) and refuses one too large', () => {
    const h2 = { httpVersionMajor: 2, headers: { ':authority': 'a' } } as Partial<IncomingMessage>;
    expect(sut.check(request([':authority', 'a', 'x', 'y'.repeat(900)], h2))).toBeUndefined();
    expect(sut.check(request([':authority', 'a', 'x', 'y'.repeat(1100)], h2))).toMatchObject({
      status: 431,
      message: expect.stringMatching(/1024 bytes/),
    });
  });

  it('refuses two Host headers in any case, and a Host that disagrees with :authority', () => {
    expect(sut.check(request(['Host', 'a', 'hOsT', 'b']))).toMatchObject({ status: 400 });
    expect(sut.check(request(['Host', 'a', 'Host', 'a']))).toMatchObject({ status: 400 });
    const h2 = (host: string) =>
      request([':authority', 'a', 'host', host], {
        httpVersionMajor: 2,
        headers: { ':authority': 'a', host } as never,
      });
    expect(sut.check(h2('a'))).toBeUndefined();
    expect(sut.check(h2('b'))).toMatchObject({ status: 400 });
  });
});
