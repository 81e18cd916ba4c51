import { Reader, type CountryResponse } from 'maxmind';
import { buildMmdb, countryDatabase } from './mmdb-writer';

describe('the test MaxMind DB writer, read back by the maxmind reader', () => {
  it('maps IPv4 and IPv6 networks to their countries and leaves the rest unknown', () => {
    const reader = new Reader<CountryResponse>(
      countryDatabase({
        '127.0.0.2/32': 'DE',
        '127.0.0.3/32': 'US',
        '10.20.0.0/16': 'FR',
        '2001:db8::/32': 'JP',
      }),
    );
    expect(reader.metadata.databaseType).toBe('GeoLite2-Country');
    expect(reader.get('127.0.0.2')?.country?.iso_code).toBe('DE');
    expect(reader.get('127.0.0.3')?.country?.iso_code).toBe('US');
    expect(reader.get('10.20.255.1')?.country?.iso_code).toBe('FR');
    expect(reader.get('2001:db8:1::5')?.country?.iso_code).toBe('JP');
    expect(reader.get('127.0.0.1')).toBeNull();
    expect(reader.get('10.21.0.1')).toBeNull();
    expect(reader.get('2001:db9::1')).toBeNull();
    expect(reader.getWithPrefixLength('10.20.3.4')[1]).toBe(16); // the /16, counted from the IPv4 subtree
  });

  it('encodes nested maps, arrays, long strings, booleans and large integers', () => {
    const long = 'x'.repeat(300);
    const reader = new Reader<Record<string, unknown>>(
      buildMmdb([
        {
          cidr: '192.0.2.0/24',
          data: { name: long, tags: ['a', 'b'], flag: true, off: false, n: 70_000, big: 2 ** 40, zero: 0 },
        },
      ]),
    );
    expect(reader.get('192.0.2.77')).toEqual({
      name: long,
      tags: ['a', 'b'],
      flag: true,
      off: false,
      n: 70_000,
      big: 2n ** 40n, // uint64 is read back as a bigint
      zero: 0,
    });
  });

  it('refuses overlapping networks', () => {
    expect(() =>
      buildMmdb([
        { cidr: '10.0.0.0/8', data: 'a' },
        { cidr: '10.1.0.0/16', data: 'b' },
      ]),
    ).toThrow(/overlaps/);
  });
});
