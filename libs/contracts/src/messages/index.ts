export * from './principal';
export * from './reply';
export * from './identity.messages';
export * from './audit.messages';
export * from './policy.messages';
export * from './device.messages';
export * from './gateway.messages';
export * from './access-log.messages';
