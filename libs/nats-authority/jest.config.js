module.exports = { ...require('../../jest.preset.js'), displayName: 'nats-authority', rootDir: __dirname };
