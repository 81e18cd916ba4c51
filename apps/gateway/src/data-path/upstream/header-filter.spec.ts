import type { IncomingMessage } from 'node:http';
import type { Admission, Caller, RequestFacts } from '../model';
import { endToEndHeaders, isReservedHeader, upstreamHeaders } from './header-filter';

describe('endToEndHeaders', () => {
  it('drops hop-by-hop headers, what Connection names, and HTTP/2 pseudo-headers', () => {
    const out = endToEndHeaders({
      ':method': 'GET',
      ':authority': 'app.localhost',
      ':path': '/',
      connection: 'keep-alive, x-private',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      'proxy-connection': 'keep-alive',
      'x-private': 'secret',
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(out).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('keeps te only as "trailers"', () => {
    expect(endToEndHeaders({ te: 'trailers' })).toEqual({ te: 'trailers' });
    expect(endToEndHeaders({ te: 'gzip, trailers;q=1' })).toEqual({ te: 'trailers' });
    expect(endToEndHeaders({ te: 'gzip' })).toEqual({});
  });
});

describe('identity and forwarding headers from a client', () => {
  const RESERVED = [
    'x-rustronaut-user',
    'x-rustronaut-anything',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-forwarded-port',
    'x-forwarded-prefix',
    'x-forwarded-uri',
    'x-forwarded-user',
    'x-forwarded-server',
    'forwarded',
    'x-real-ip',
    'remote-user',
    'x-remote-user',
    'x-authenticated-user',
    'x-auth-request-user',
    'x-auth-request-email',
    'x-original-url',
    'x-rewrite-url',
    'true-client-ip',
  ];
  const spell = (name: string, separator: string) => name.replaceAll('-', separator);

  it('are dropped in every spelling (case is folded by Node; "-", "_" and "." separators)', () => {
    for (const name of RESERVED)
      for (const separator of ['-', '_', '.']) {
        const out = endToEndHeaders({ [spell(name, separator)]: 'forged', accept: '*/*' }, undefined, true);
        expect(out).toEqual({ accept: '*/*' });
      }
  });

  it('drops any name with "_", keeps ordinary headers, and leaves responses alone', () => {
    expect(endToEndHeaders({ x_custom: '1', 'x-custom': '2', 'user-agent': 'u' }, undefined, true)).toEqual({
      'x-custom': '2',
      'user-agent': 'u',
    });
    expect(endToEndHeaders({ 'x-real-ip': '1.2.3.4' })).toEqual({ 'x-real-ip': '1.2.3.4' });
    expect(isReservedHeader('x-forwardedfor')).toBe(false);
    expect(isReservedHeader('content-type')).toBe(false);
  });
});

describe('upstreamHeaders', () => {
  const facts = {
    ip: '203.0.113.7',
    scheme: 'https',
    host: 'app.example.test',
    authority: 'app.example.test:8443',
  } as RequestFacts;
  const alice: Caller = { id: 'u-1', email: 'alice@example.test', role: 'member', groups: ['ops', 'dev'] };

  function admissionOf(headers: Record<string, string>, caller: Caller | null): Admission {
    return {
      req: { headers } as unknown as IncomingMessage,
      facts,
      caller,
      ...(caller ? { assertion: 'signed.assertion' } : {}),
    } as Admission;
  }

  it('tells the target who asks and what the gateway saw, never what the client claims', () => {
    const out = upstreamHeaders(
      admissionOf(
        {
          host: 'forged.example.test',
          'x-rustronaut-user': 'admin',
          'x-forwarded-for': '10.0.0.1',
          accept: 'text/html',
        },
        alice,
      ),
    );
    expect(out).toEqual({
      accept: 'text/html',
      host: 'app.example.test:8443',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.test:8443',
      'x-rustronaut-user': 'u-1',
      'x-rustronaut-email': 'alice@example.test',
      'x-rustronaut-groups': 'ops,dev',
      'x-rustronaut-assertion': 'signed.assertion',
    });
  });

  it("keeps the app's cookies but not the gateway's session cookies", () => {
    const out = upstreamHeaders(admissionOf({ cookie: 'theme=dark; rn_sess_r1=abc; lang=en' }, null));
    expect(out.cookie).toBe('theme=dark; lang=en');
    expect(upstreamHeaders(admissionOf({ cookie: 'rn_sess_r1=abc' }, null)).cookie).toBeUndefined();
  });

  it('drops the console token that admitted the caller, and keeps an Authorization it did not check', () => {
    const byToken = admissionOf({ authorization: 'Bearer console-token' }, { ...alice, via: 'token' });
    expect(upstreamHeaders(byToken).authorization).toBeUndefined();
    const publicRequest = admissionOf({ authorization: 'Basic YXBwOnBhc3M=' }, null);
    expect(upstreamHeaders(publicRequest).authorization).toBe('Basic YXBwOnBhc3M=');
    expect(upstreamHeaders(publicRequest)['x-rustronaut-user']).toBeUndefined();
  });

  it("names a trusted issuer's machine apart from console users, even when its sub is spelled like one", () => {
    const machine = { ...alice, id: 'u-1', email: '', groups: [], via: 'token' as const, issuerId: 'tis_ci' };
    const out = upstreamHeaders(
      admissionOf({ authorization: 'Bearer issuer-token', 'x-rustronaut-user': 'u-1' }, machine),
    );
    expect(out['x-rustronaut-service']).toBe('u-1');
    expect(out['x-rustronaut-issuer']).toBe('tis_ci');
    expect(out['x-rustronaut-user']).toBeUndefined();
    expect(out['x-rustronaut-email']).toBeUndefined();
    expect(out['x-rustronaut-groups']).toBeUndefined();
    expect(out.authorization).toBeUndefined();
  });
});
