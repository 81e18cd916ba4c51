import { createHash } from 'node:crypto';
import {
  BotChallenge,
  CHALLENGE_BITS,
  leadingZeroBits,
  looksAutomated,
  passCookieName,
} from './bot-challenge';
import type { Admission } from '../../model';

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0',
  accept: 'text/html,application/xhtml+xml',
  'accept-language': 'en-GB,en;q=0.8',
};

/** What the page's script does: the first counter whose hash has enough leading zero bits. */
function solve(nonce: string): string {
  for (let counter = 0; ; counter++) {
    const candidate = `${nonce}.${counter}`;
    if (leadingZeroBits(createHash('sha256').update(candidate).digest()) >= CHALLENGE_BITS) return candidate;
  }
}

function admission(over: { ip?: string; resourceId?: string; headers?: Record<string, string> } = {}) {
  return {
    req: { headers: over.headers ?? {} },
    facts: { ip: over.ip ?? '127.0.0.2' },
    resource: {
      id: over.resourceId ?? 'res_a',
      siteId: 'sit_1',
      name: 'a',
      botChallenge: true,
      authRequired: false,
      orgId: 'org_1',
    },
    caller: null,
  } as unknown as Admission;
}

describe('the bot challenge', () => {
  it('tells automated-looking requests from a browser page load', () => {
    expect(looksAutomated(BROWSER)).toBe(false);
    expect(looksAutomated({})).toBe(true);
    expect(looksAutomated({ ...BROWSER, 'user-agent': 'curl/8.5.0' })).toBe(true);
    expect(looksAutomated({ ...BROWSER, 'user-agent': 'Googlebot/2.1' })).toBe(true);
    expect(looksAutomated({ ...BROWSER, 'user-agent': 'Mozilla/5.0 HeadlessChrome/120' })).toBe(true);
    expect(looksAutomated({ ...BROWSER, 'accept-language': '' })).toBe(true);
    expect(looksAutomated({ 'user-agent': BROWSER['user-agent'], accept: '*/*' })).toBe(true);
    expect(looksAutomated({ ...BROWSER, 'sec-ch-ua': '"HeadlessChrome";v="120"' })).toBe(true);
  });

  it('accepts a solved pass only for its address and resource, until it expires', () => {
    let now = 1_700_000_000_000;
    const secret = Buffer.alloc(32, 7);
    const challenge = new BotChallenge(
      () => secret,
      async () => false,
      () => now,
    );
    const pass = solve(challenge.nonceFor(admission()));
    expect(challenge.passIsValid(pass, admission())).toBe(true);
    expect(challenge.passIsValid(pass, admission({ ip: '127.0.0.3' }))).toBe(false);
    expect(challenge.passIsValid(pass, admission({ resourceId: 'res_b' }))).toBe(false);
    // Another gateway of the site (same site secret) accepts it too.
    expect(
      new BotChallenge(
        () => secret,
        async () => false,
        () => now,
      ).passIsValid(pass, admission()),
    ).toBe(true);
    expect(
      new BotChallenge(
        () => Buffer.alloc(32, 8),
        async () => false,
        () => now,
      ).passIsValid(pass, admission()),
    ).toBe(false);
    now += 3601_000;
    expect(challenge.passIsValid(pass, admission())).toBe(false);
  });

  it('refuses an unsolved or tampered pass', () => {
    const challenge = new BotChallenge(
      () => Buffer.alloc(32, 7),
      async () => false,
    );
    const nonce = challenge.nonceFor(admission());
    const solved = solve(nonce);
    const counter = Number(solved.split('.')[2]);
    // The counter just before the solution does not have the zero bits (it was not the first otherwise).
    expect(
      challenge.passIsValid(`${nonce}.${counter - 1 < 0 ? counter + 1 : counter - 1}`, admission()),
    ).toBe(false);
    const [expiry, mac] = nonce.split('.') as [string, string];
    expect(challenge.passIsValid(`${Number(expiry) + 100}.${mac}.${counter}`, admission())).toBe(false);
    expect(challenge.passIsValid('garbage', admission())).toBe(false);
    expect(challenge.passIsValid(`${solved}.1`, admission())).toBe(false);
  });

  it('as a stage: challenges a bot, lets a browser, a passed bot and a valid bearer token through', async () => {
    const challenge = new BotChallenge(
      () => Buffer.alloc(32, 7),
      async (token) => token === 'good',
    );
    const bot = admission({ headers: { 'user-agent': 'curl/8' } });
    const refusal = challenge.stage(bot);
    expect(refusal).toMatchObject({ status: 403, html: expect.stringContaining('crypto.subtle') });
    expect(challenge.stage(admission({ headers: BROWSER }))).toBeUndefined();
    const pass = solve(challenge.nonceFor(bot));
    const cookie = `a=b; ${passCookieName('res_a')}=${pass}`;
    expect(challenge.stage(admission({ headers: { 'user-agent': 'curl/8', cookie } }))).toBeUndefined();
    expect(await challenge.stage(admission({ headers: { authorization: 'Bearer good' } }))).toBeUndefined();
    expect(await challenge.stage(admission({ headers: { authorization: 'Bearer bad' } }))).toMatchObject({
      status: 403,
    });
  });
});
