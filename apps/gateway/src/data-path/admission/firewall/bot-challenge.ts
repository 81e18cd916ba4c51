import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { cookieValue, SESSION_COOKIE_PREFIX } from '../auth/session-cookie';
import type { Admission, AdmissionStage, Refusal, RoutedResource } from '../../model';

/** Leading zero bits the pass's SHA-256 must have: ~16k hashes on average, well under a second in a browser. */
export const CHALLENGE_BITS = 14;
/** How long a solved challenge lets the client through (same address, same resource). */
export const PASS_TTL_S = 3600;

/** User agents that say they are not a person's browser. */
const AUTOMATED_AGENT =
  /bot|crawl|spider|slurp|curl|wget|python|httpie|go-http-client|java\/|okhttp|libwww|perl|ruby|node-fetch|axios|undici|headless|phantomjs|selenium|puppeteer|playwright|scrapy/i;

/**
 * Does this request look automated? No User-Agent or one of a tool or crawler, no Accept or
 * Accept-Language (every browser sends both on a page load), or a headless browser's marker.
 */
export function looksAutomated(headers: IncomingHttpHeaders): boolean {
  const agent = headers['user-agent'];
  if (!agent || AUTOMATED_AGENT.test(agent)) return true;
  if (!headers['accept'] || !headers['accept-language']) return true;
  const hints = headers['sec-ch-ua'];
  return typeof hints === 'string' && hints.includes('Headless');
}

/** The pass cookie of a resource; a gateway cookie (rn_sess_…), so the target never sees it. */
export const passCookieName = (resourceId: string) => `${SESSION_COOKIE_PREFIX}pass_${resourceId}`;

/**
 * The bot challenge (a resource's `botChallenge`), before authentication: a request that looks
 * automated and has no valid pass gets a page whose script finds a counter such that
 * SHA-256(`<nonce>.<counter>`) starts with CHALLENGE_BITS zero bits, stores `<nonce>.<counter>` as
 * the pass cookie and reloads. The nonce is `<expiry>.<HMAC(site secret; resource, client address,
 * expiry)>`, so a pass is checked with one HMAC and one hash, works on every gateway of the site,
 * and only for the address and resource it was solved for. A bearer token skips the challenge
 * (API clients): on a protected resource authentication checks it right after; on a public one it
 * is checked here.
 */
export class BotChallenge {
  /** Used when a site's snapshot carries no secret: passes then hold on this gateway only. */
  readonly #fallbackKey = randomBytes(32);

  constructor(
    private readonly siteSecret: (siteId: string) => Buffer | undefined,
    private readonly bearerIsValid: (token: string, resource: RoutedResource) => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  readonly stage: AdmissionStage = (admission) => {
    const { resource, req } = admission;
    if (!resource.botChallenge || !looksAutomated(req.headers)) return undefined;
    const pass = cookieValue(req.headers.cookie, passCookieName(resource.id));
    if (pass !== undefined && this.passIsValid(pass, admission)) return undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer === undefined) return this.#challenge(admission);
    if (resource.authRequired) return undefined; // authentication checks the token next
    return this.bearerIsValid(bearer, resource).then((valid) =>
      valid ? undefined : this.#challenge(admission),
    );
  };

  passIsValid(pass: string, admission: Admission): boolean {
    const parts = pass.split('.');
    if (parts.length !== 3) return false;
    const [expiry, mac, counter] = parts as [string, string, string];
    const expiresAt = Number(expiry);
    if (!Number.isInteger(expiresAt) || expiresAt * 1000 <= this.now() || !/^\d{1,12}$/.test(counter))
      return false;
    const expected = this.#mac(admission, expiry);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    return leadingZeroBits(createHash('sha256').update(pass).digest()) >= CHALLENGE_BITS;
  }

  /** A nonce for this client and resource, valid for PASS_TTL_S. */
  nonceFor(admission: Admission): string {
    const expiry = String(Math.floor(this.now() / 1000) + PASS_TTL_S);
    return `${expiry}.${this.#mac(admission, expiry).toString('base64url')}`;
  }

  #mac(admission: Admission, expiry: string): Buffer {
    const key = this.siteSecret(admission.resource.siteId) ?? this.#fallbackKey;
    return createHmac('sha256', key)
      .update(`bot-challenge\n${admission.resource.id}\n${admission.facts.ip}\n${expiry}`)
      .digest()
      .subarray(0, 16);
  }

  #challenge(admission: Admission): Refusal {
    const scriptNonce = randomBytes(16).toString('base64');
    return {
      status: 403,
      message: 'This resource checks that requests come from a browser.',
      by: 'bot_challenge',
      headers: {
        'x-rustronaut-challenge': `sha256;bits=${CHALLENGE_BITS}`,
        // The page runs only its own script and loads nothing.
        'content-security-policy': `default-src 'none'; script-src 'nonce-${scriptNonce}'; style-src 'unsafe-inline'`,
      },
      html: challengePage(
        admission.resource.name,
        this.nonceFor(admission),
        passCookieName(admission.resource.id),
        scriptNonce,
      ),
    };
  }
}

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page: a few lines of script (Web Crypto; needs HTTPS or localhost), no outside resources. */
function challengePage(resourceName: string, nonce: string, cookie: string, scriptNonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Checking your browser</title>
<style>body{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32em;color:#222;text-align:center}</style>
</head><body>
<h1>One moment…</h1>
<p id="status">Checking your browser before opening ${escapeHtml(resourceName)}.</p>
<noscript><p>This page needs JavaScript to continue.</p></noscript>
<script nonce="${scriptNonce}">
(async () => {
  const nonce = ${JSON.stringify(nonce)}, bits = ${CHALLENGE_BITS}, cookie = ${JSON.stringify(cookie)};
  const status = document.getElementById('status');
  if (!window.crypto || !crypto.subtle) { status.textContent = 'This browser cannot do the check here (it needs HTTPS).'; return; }
  const encoder = new TextEncoder();
  const zeroBits = (d) => { let n = 0; for (const b of d) { if (b === 0) { n += 8; continue; } return n + Math.clz32(b) - 24; } return n; };
  for (let counter = 0; ; counter++) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(nonce + '.' + counter)));
    if (zeroBits(digest) >= bits) {
      document.cookie = cookie + '=' + nonce + '.' + counter + '; path=/; max-age=${PASS_TTL_S}; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
      location.reload();
      return;
    }
  }
})();
</script>
</body></html>
`;
}
