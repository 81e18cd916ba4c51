#!/usr/bin/env node
// Compiles apps/ and libs/ to dist/ with SWC (decorator metadata included, for NestJS and TypeORM),
// rewriting the @rustronaut/* aliases into relative paths so `node dist/apps/<app>/src/main.js` runs.
// Type checking is `npm run typecheck`; this step only transpiles, in a few seconds.
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');
const base = require('../../swc.config.js');
const { compilerOptions } = require('../../tsconfig.base.json');

const { buildConsoleWeb } = require('./console-web');

const root = path.join(__dirname, '../..');
const out = path.join(root, 'dist');
// The web console is built by Vite (console-web.js), not file by file.
const webApp = path.join(root, 'apps/console-web');
const skip = (file) => /\.spec\.ts$|\/__fixtures__\/|\/e2e\//.test(file);

function sources(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' || file === webApp ? [] : sources(file);
    return file.endsWith('.ts') && !file.endsWith('.d.ts') && !skip(file) ? [file] : [];
  });
}

async function main() {
  const files = ['apps', 'libs', 'migrations'].flatMap((d) => sources(path.join(root, d)));
  const options = {
    ...base,
    sourceMaps: true,
    jsc: { ...base.jsc, baseUrl: root, paths: compilerOptions.paths },
  };
  let done = 0;
  await Promise.all(
    files.map(async (file) => {
      const target = path.join(out, path.relative(root, file)).replace(/\.ts$/, '.js');
      const { code, map } = await swc.transformFile(file, { ...options, filename: file, outputPath: target });
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      await fs.promises.writeFile(
        target,
        map ? `${code}\n//# sourceMappingURL=${path.basename(target)}.map` : code,
      );
      if (map) await fs.promises.writeFile(`${target}.map`, map);
      done++;
    }),
  );
  // Non-TypeScript assets an app ships (HTML pages, JSON, CommonJS preloads), copied as they are.
  for (const dir of ['apps', 'libs']) {
    copyAssets(path.join(root, dir), path.join(out, dir));
  }
  // The typed API client (libs/api-client) from the API's own document, when the document changed.
  // In CI it is checked instead: a committed client that is not the document's fails the build.
  const client = require('node:child_process').spawnSync(
    process.execPath,
    [path.join(out, 'apps/api/src/openapi-main.js'), root, ...(process.env.CI ? ['--check'] : [])],
    { stdio: 'inherit' },
  );
  if (client.status !== 0) process.exit(1); // it said why
  process.stdout.write(`built ${done} files into dist/; ${await buildConsoleWeb()}\n`);
}

function copyAssets(from, to) {
  if (!fs.existsSync(from)) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.name === 'node_modules' || entry.name === 'dist' || source === webApp) continue;
    if (entry.isDirectory()) copyAssets(source, target);
    else if (
      /\.(html|css|json|svg|cjs)$/.test(entry.name) &&
      !/(package|tsconfig|project)\.json$/.test(entry.name)
    ) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
