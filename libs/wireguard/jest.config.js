module.exports = { ...require('../../jest.preset.js'), displayName: 'wireguard', rootDir: __dirname };
