import { assignmentChanges } from './assignment-sync';

describe('what an assignment from the console changes', () => {
  const identity = { siteIds: ['st_a', 'st_b'], wireguardPort: 51820 };

  it('nothing when the sites (in any order) and the port are the same', () => {
    expect(assignmentChanges(identity, { siteIds: ['st_b', 'st_a'], wireguardPort: 51820 })).toEqual({
      sites: false,
      wireguardPort: false,
    });
  });

  it('the port alone, the sites alone, or both', () => {
    expect(assignmentChanges(identity, { siteIds: ['st_a', 'st_b'], wireguardPort: 51830 })).toEqual({
      sites: false,
      wireguardPort: true,
    });
    expect(assignmentChanges(identity, { siteIds: ['st_a'], wireguardPort: 51820 })).toEqual({
      sites: true,
      wireguardPort: false,
    });
    expect(assignmentChanges(identity, { siteIds: ['st_c'], wireguardPort: 51830 })).toEqual({
      sites: true,
      wireguardPort: true,
    });
  });

  it('a port to a gateway enrolled before consoles told it; none from a console that does not say', () => {
    expect(
      assignmentChanges({ siteIds: ['st_a'] }, { siteIds: ['st_a'], wireguardPort: 51820 }).wireguardPort,
    ).toBe(true);
    expect(assignmentChanges(identity, { siteIds: ['st_a', 'st_b'] }).wireguardPort).toBe(false);
  });
});
