// Root Jest: runs every project's tests (`npm test`). A project is a folder with a jest.config.js.
const fs = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs']
  .flatMap((dir) =>
    fs.existsSync(path.join(__dirname, dir))
      ? fs.readdirSync(path.join(__dirname, dir)).map((p) => `${dir}/${p}`)
      : [],
  )
  .concat('tools')
  .filter((p) => fs.existsSync(path.join(__dirname, p, 'jest.config.js')))
  .map((p) => `<rootDir>/${p}/jest.config.js`);

module.exports = {
  projects,
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.js'],
};
