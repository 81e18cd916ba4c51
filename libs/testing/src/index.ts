export { uniqueName } from './unique-name';
export { freePort } from './free-port';
export { TestNatsServer } from './nats-server';
export { createTestSchema, testDatabaseUrl, type TestSchema } from './postgres';
export { connectTestNats, deleteStream } from './nats';
export { installInMemoryTracing } from './tracing';
export { selfSignedCertificate } from './certificates';
export {
  buildMmdb,
  countryDatabase,
  writeCountryDatabase,
  type MmdbNetwork,
  type MmdbValue,
} from './mmdb-writer';
export { LoopbackDnsServer } from './dns-responder';
export { TestPebble } from './pebble';
