import { aggregateSubject, eventsFilter } from './subjects';

describe('subjects', () => {
  it('names an aggregate subject rn.events.<aggregate>.<id>', () => {
    expect(aggregateSubject('site', 'st_01H')).toBe('rn.events.site.st_01H');
    expect(aggregateSubject('site', 'a', 'test_x.rn.events')).toBe('test_x.rn.events.site.a');
  });

  it.each(['a.b', '*', '>', 'with space', ''])(
    'refuses the id %j, which could address other subjects',
    (id) => {
      expect(() => aggregateSubject('site', id)).toThrow(/not a valid subject token/);
    },
  );

  it('filters one aggregate type or all events', () => {
    expect(eventsFilter('user')).toBe('rn.events.user.*');
    expect(eventsFilter()).toBe('rn.events.>');
  });
});
