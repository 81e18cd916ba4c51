const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'api',
  rootDir: __dirname,
  // jose is ES modules only; the route test loads the whole API module, so it is compiled like our code.
  transform: {
    ...preset.transform,
    '/node_modules/jose/.+\\.js$': ['@swc/jest', { swcrc: false, ...require('../../swc.config.js') }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
