export { decide, pathMatches, type AccessRequest, type Decision, type PolicyRule } from './decide';
export { domainPatternsFor, prefixCovers, resourceFor, routePrefix, type Routable } from './route';
