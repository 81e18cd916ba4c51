/**
 * The console's sign-in page for a resource: plain HTML and a small script (no framework). The
 * script logs in through the API, asks for the hand-off to the resource, and follows it. Every
 * value put into the page is escaped; the script runs only with this response's nonce (CSP).
 */
export function loginPage(options: {
  returnUrl: string;
  nonce: string;
  /** The organisation's identity providers: one button each, before the password form. */
  providers?: readonly { name: string; startUrl: string }[];
}): string {
  const host = new URL(options.returnUrl).host;
  const providers = (options.providers ?? [])
    .map(
      (p) =>
        `<a class="provider" href="${escapeHtml(`${p.startUrl}?return=${encodeURIComponent(options.returnUrl)}`)}">Sign in with ${escapeHtml(p.name)}</a>`,
    )
    .join('\n');
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="to">to continue to <strong>${escapeHtml(host)}</strong></p>
${providers ? `<nav id="providers">\n${providers}\n</nav>\n<p class="or">or with your password</p>` : ''}
<form id="f" autocomplete="on">
  <label>Email <input id="email" name="email" type="email" autocomplete="username" required autofocus></label>
  <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
  <label id="totp-row" hidden>Code from your authenticator app <input id="totp" name="totp" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code"></label>
  <p id="error" role="alert"></p>
  <button id="submit" type="submit">Sign in</button>
</form>
<button id="passkey" class="secondary" type="button">Sign in with a passkey</button>
<script nonce="${options.nonce}" src="/login/webauthn.js"></script>
<script nonce="${options.nonce}">
const RETURN_URL = ${JSON.stringify(options.returnUrl).replace(/</g, '\\u003c')};
const $ = (id) => document.getElementById(id);
const fail = (message) => { $('error').textContent = message; $('submit').disabled = false; };
async function post(path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  return { ok: response.ok, body: await response.json().catch(() => ({})) };
}
// Signed in on this console a moment ago (the sign-in cookie)? Then no password is needed.
post('/api/v1/auth/resource-handoff', { return_url: RETURN_URL }).then((handoff) => {
  if (handoff.ok) window.location.assign(handoff.body.redirect_url);
  else if (handoff.body.error && handoff.body.error.code !== 'AUTH_UNAUTHENTICATED') fail(handoff.body.error.message);
});
async function toResource(accessToken) {
  const handoff = await post('/api/v1/auth/resource-handoff', { return_url: RETURN_URL, remember: true }, accessToken);
  if (!handoff.ok) return fail(handoff.body.error ? handoff.body.error.message : 'Sign-in failed.');
  window.location.assign(handoff.body.redirect_url);
}
// A passkey (WebAuthn, discoverable: no email needed), through @simplewebauthn/browser.
$('passkey').addEventListener('click', async () => {
  $('error').textContent = '';
  const options = await post('/api/v1/auth/passkey/options', {});
  if (!options.ok) return fail(options.body.error ? options.body.error.message : 'Passkeys are not available.');
  let response;
  try {
    response = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options.body });
  } catch (error) {
    return fail('No passkey was used (' + error.message + ').');
  }
  const login = await post('/api/v1/auth/passkey', { response });
  if (!login.ok) return fail(login.body.error ? login.body.error.message : 'Sign-in failed.');
  await toResource(login.body.access_token);
});
$('f').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('submit').disabled = true;
  $('error').textContent = '';
  const credentials = { email: $('email').value, password: $('password').value };
  if ($('totp').value) credentials.totp = $('totp').value;
  const login = await post('/api/v1/auth/login', credentials);
  if (!login.ok) {
    if (login.body.error && login.body.error.code === 'AUTH_TOTP_REQUIRED') $('totp-row').hidden = false;
    return fail(login.body.error ? login.body.error.message : 'Sign-in failed.');
  }
  const handoff = await post('/api/v1/auth/resource-handoff', { return_url: RETURN_URL, remember: true }, login.body.access_token);
  if (!handoff.ok) return fail(handoff.body.error ? handoff.body.error.message : 'Sign-in failed.');
  window.location.assign(handoff.body.redirect_url);
});
</script>`,
  );
}

/** The CLI's sign-in without a loopback redirect: the one-time code to paste into the terminal. */
export function codePage(code: string): string {
  return page(
    'Signed in',
    `<h1>Signed in</h1>\n<p>Paste this code into your terminal, where <code>rustronaut login</code> waits (it works once, for one minute):</p>\n<p><output id="code">${escapeHtml(code)}</output></p>`,
  );
}

/** The page a browser gets for a sign-in link that cannot be followed (bad return address). */
export function refusedPage(message: string): string {
  return page(
    'Sign-in refused',
    `<h1>This sign-in link cannot be used</h1>\n<p id="error" role="alert">${escapeHtml(message)}</p>`,
  );
}

/** Headers of every sign-in page: no caching, no framing, scripts only with the nonce. */
export function pageHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  };
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Rustronaut</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; margin: 0; display: grid; place-items: center; min-height: 100vh; }
main { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: min(22rem, 90vw); }
h1 { margin: 0 0 .25rem; font-size: 1.4rem; } .to { margin: 0 0 1.25rem; color: #555; }
label { display: block; margin: 0 0 .9rem; font-size: .9rem; } input { display: block; width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font: inherit; }
button { width: 100%; padding: .6rem; font: inherit; background: #2457d6; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
button.secondary { margin-top: .6rem; background: #fff; color: #2457d6; border: 1px solid #2457d6; }
#error { color: #b00020; min-height: 1.5em; margin: 0 0 .5rem; }
[hidden] { display: none !important; }
.provider { display: block; text-align: center; padding: .6rem; margin: 0 0 .6rem; border: 1px solid #2457d6; border-radius: 4px; color: #2457d6; text-decoration: none; }
.or { text-align: center; color: #777; font-size: .85rem; margin: .4rem 0 .9rem; }
#code { display: block; font: 1.1rem monospace; word-break: break-all; background: #f4f5f7; padding: .75rem; border-radius: 4px; }
</style></head>
<body><main>
${body}
</main></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
