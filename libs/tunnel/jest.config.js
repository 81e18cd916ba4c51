module.exports = { ...require('../../jest.preset.js'), displayName: 'tunnel', rootDir: __dirname };
