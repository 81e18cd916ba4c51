#!/usr/bin/env node
// The `rustronaut` command. It runs the build output (npm run build writes dist/apps/cli); this file
// only finds it, so `npm install -g ./apps/cli` and `npx rustronaut` work from a clone.
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '../../../dist/apps/cli/src/main.js');
if (!fs.existsSync(main)) {
  process.stderr.write(
    `rustronaut is not built yet: run \`npm run build\` in ${path.join(__dirname, '../../..')} and try again\n`,
  );
  process.exit(1);
}
require(main);
