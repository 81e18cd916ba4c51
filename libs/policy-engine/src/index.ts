export { decide, pathMatches, type AccessRequest, type Decision, type PolicyRule } from './decide';
