import { createHash } from 'node:crypto';

/**
 * Where domain claims were kept before the event store's reservations (`DomainClaimed` events on
 * a `domain` aggregate per pair): read once per pair, when its reservation book is still empty.
 * A whole domain (prefix `/`) has the id it always had.
 */
export const domainAggregate = (domain: string, prefix = '/') => ({
  type: 'domain',
  id: createHash('sha256')
    .update(prefix === '/' ? domain : `${domain} ${prefix}`)
    .digest('hex')
    .slice(0, 40),
});
