const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'gateway',
  rootDir: __dirname,
  // jose is ES modules only (the authenticator verifies trusted issuers' tokens with it): compiled like our code.
  transform: {
    ...preset.transform,
    '/node_modules/jose/.+\\.js$': ['@swc/jest', { swcrc: false, ...require('../../swc.config.js') }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
