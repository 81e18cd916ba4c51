// The web console's browser e2e (Jest + playwright-core); its component tests run with Vitest.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'console-web',
  rootDir: __dirname,
  testMatch: ['<rootDir>/e2e/**/*.e2e.spec.ts'],
};
