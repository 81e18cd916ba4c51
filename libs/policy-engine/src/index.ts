export { decide, pathMatches, type AccessRequest, type Decision, type PolicyRule } from './decide';
export {
  domainPatternsFor,
  prefixCovers,
  resourceFor,
  RouteIndex,
  routePrefix,
  type Routable,
} from './route';
export {
  closedPublicPort,
  decidePublicPort,
  publicPortPolicies,
  type PublicPortResource,
} from './public-port';
