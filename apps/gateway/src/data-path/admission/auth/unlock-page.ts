/** The gateway's own form for a resource's PIN or password (no script; posts to itself). */
export function unlockPage(options: {
  resourceName: string;
  methods: ('pin' | 'password')[];
  returnPath: string;
  error?: string;
}): string {
  const label =
    options.methods.length === 2 ? 'PIN or password' : options.methods[0] === 'pin' ? 'PIN' : 'Password';
  const numeric = options.methods.length === 1 && options.methods[0] === 'pin' ? ' inputmode="numeric"' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.resourceName)} · Rustronaut</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; margin: 0; display: grid; place-items: center; min-height: 100vh; }
main { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: min(22rem, 90vw); }
h1 { margin: 0 0 1rem; font-size: 1.3rem; } label { display: block; margin: 0 0 .9rem; font-size: .9rem; }
input { display: block; width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font: inherit; }
button { width: 100%; padding: .6rem; font: inherit; background: #2457d6; color: #fff; border: 0; border-radius: 4px; }
#error { color: #b00020; min-height: 1.5em; margin: 0 0 .5rem; }
</style></head>
<body><main>
<h1>${escapeHtml(options.resourceName)}</h1>
<form method="post" action="/.rustronaut/auth/unlock">
  <input type="hidden" name="return" value="${escapeHtml(options.returnPath)}">
  <label>${label} <input id="secret" name="secret" type="password"${numeric} autocomplete="current-password" required autofocus></label>
  <p id="error" role="alert">${escapeHtml(options.error ?? '')}</p>
  <button id="submit" type="submit">Open</button>
</form>
</main></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
