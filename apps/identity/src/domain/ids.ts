export { newId } from '@rustronaut/contracts';

export const DEFAULT_ORG_ID = 'org_default';
