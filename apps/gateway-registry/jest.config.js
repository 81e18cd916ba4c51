module.exports = { ...require('../../jest.preset.js'), displayName: 'gateway-registry', rootDir: __dirname };
