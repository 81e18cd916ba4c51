module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'config-distributor',
  rootDir: __dirname,
};
