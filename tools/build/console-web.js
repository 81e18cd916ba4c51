// The web console's build (Vite), for tools/build/build.js: skipped when its inputs are unchanged
// since the last build, and refused when the JavaScript a first visit loads is over the budget.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const url = require('node:url');
const zlib = require('node:zlib');

const root = path.join(__dirname, '../..');
const app = path.join(root, 'apps/console-web');
const out = path.join(root, 'dist/apps/console-web/public');
const stamp = path.join(root, 'dist/apps/console-web/inputs.sha256');
/** First-load JavaScript (the entry and what it preloads), gzipped. */
const BUDGET_BYTES = 250 * 1024;
/** What the bundle is made of besides node_modules: its sources and the generated API client. */
const INPUTS = [
  'apps/console-web/src',
  'apps/console-web/index.html',
  'apps/console-web/vite.config.mts',
  'apps/console-web/vite-build.mjs',
  'libs/api-client/src',
];

function files(dir) {
  if (!fs.existsSync(dir)) return [];
  if (fs.statSync(dir).isFile()) return [dir];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter((f) => !/\.(spec|test)\.tsx?$/.test(f));
}

/** A hash of every input file (path and content) and of the lockfile (the dependencies' versions). */
function inputsHash() {
  const hash = crypto.createHash('sha256');
  for (const file of [
    ...INPUTS.flatMap((d) => files(path.join(root, d))),
    path.join(root, 'package-lock.json'),
  ].sort()) {
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** The gzipped size of each script the page loads before anything else happens. */
function firstLoad() {
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  const scripts = [
    ...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.js)"/g),
  ].map((m) => m[1]);
  return scripts.map((file) => ({
    file,
    gzip: zlib.gzipSync(fs.readFileSync(path.join(out, file)), { level: 9 }).length,
  }));
}

function checkBudget() {
  const loaded = firstLoad();
  const total = loaded.reduce((sum, f) => sum + f.gzip, 0);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  if (total > BUDGET_BYTES) {
    throw new Error(
      `the web console's first-load JavaScript is ${kb(total)} gzipped, over its budget of ${kb(BUDGET_BYTES)}: ${loaded
        .map((f) => `${f.file} ${kb(f.gzip)}`)
        .join(', ')} (load pages lazily, or drop a dependency)`,
    );
  }
  return `${kb(total)} of ${kb(BUDGET_BYTES)} first-load JS, gzipped`;
}

async function buildConsoleWeb() {
  const hash = inputsHash();
  const fresh =
    fs.existsSync(path.join(out, 'index.html')) &&
    fs.existsSync(stamp) &&
    fs.readFileSync(stamp, 'utf8') === hash;
  if (!fresh) {
    const vite = await import(url.pathToFileURL(path.join(app, 'vite-build.mjs')).href);
    await vite.buildConsoleWeb(path.join(app, 'vite.config.mts'));
  }
  const budget = checkBudget();
  fs.writeFileSync(stamp, hash);
  return `web console ${fresh ? 'unchanged' : 'built'} (${budget})`;
}

module.exports = { buildConsoleWeb, checkBudget, BUDGET_BYTES };
