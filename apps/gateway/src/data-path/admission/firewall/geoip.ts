import { readFileSync } from 'node:fs';
import type * as MaxMind from 'maxmind';
import type { CountryResponse, Reader } from 'maxmind';
import type { Admission } from '../../model';

/** Which country an address is in (ISO 3166 code), or null when that is not known. */
export interface CountryLookup {
  country(ip: string): string | null;
}

/** No GeoIP database configured: every country is unknown. */
export const NO_COUNTRIES: CountryLookup = { country: () => null };

/**
 * A MaxMind database (GeoLite2-Country, GeoIP2-Country or -City, any `.mmdb` with `country.iso_code`)
 * read into memory once at start. A bad file stops the gateway with a message, not a silent
 * "unknown" for every request.
 */
export class MaxMindCountries implements CountryLookup {
  readonly #reader: Reader<CountryResponse>;

  constructor(path: string) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new Error(`RN_GEOIP_DB: cannot read ${path}: ${(error as Error).message}`);
    }
    try {
      // maxmind (about 5 MB resident) loads only in a gateway configured with a database.
      const { Reader } = require('maxmind') as typeof MaxMind;
      this.#reader = new Reader<CountryResponse>(bytes);
    } catch (error) {
      throw new Error(`RN_GEOIP_DB: ${path} is not a MaxMind database: ${(error as Error).message}`);
    }
  }

  country(ip: string): string | null {
    let record: CountryResponse | null;
    try {
      record = this.#reader.get(ip);
    } catch {
      return null; // not an address the database can hold (e.g. a unix socket peer)
    }
    return record?.country?.iso_code ?? record?.registered_country?.iso_code ?? null;
  }
}

export function countryLookup(path: string | undefined): CountryLookup {
  return path ? new MaxMindCountries(path) : NO_COUNTRIES;
}

/** The request's country, looked up at most once per request and only by a stage that needs it. */
export function countryOf(admission: Admission, countries: CountryLookup): string | null {
  if (admission.country === undefined) admission.country = countries.country(admission.facts.ip);
  return admission.country;
}
