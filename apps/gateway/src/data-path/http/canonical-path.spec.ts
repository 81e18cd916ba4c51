import fc from 'fast-check';
import { canonicalise, canonicalPath } from './canonical-path';

/** Pieces attackers put in a path: dots in every spelling, encoded separators, parameters, NULs, overlong UTF-8. */
const PIECES = [
  'a',
  'admin',
  'x y',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '.%2e',
  '%2E.',
  '%252e',
  '%25%32%65',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '\\',
  ';x=1',
  '%3b',
  '%00',
  '%0a',
  '%0D',
  '%c0%ae',
  '%c0%af',
  '%e0%80%ae',
  '%c3%a9',
  '%ed%a0%80',
  '%25',
  '%25zz',
  '%41',
  '%61dmin',
  '~user',
  '{}|^`',
  '"<>',
  '#frag',
  '%',
  '%g1',
  'é',
  '',
];

const hostilePath = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.stringMatching(/^[a-z0-9._~-]{0,6}$/)), {
    minLength: 0,
    maxLength: 8,
  })
  .chain((segments) =>
    fc
      .array(fc.constantFrom('/', '//', '///'), {
        minLength: segments.length,
        maxLength: segments.length,
      })
      .map((slashes) => segments.map((s, i) => `${slashes[i]}${s}`).join('') || '/'),
  );

/** Spellings that an upstream could read differently: each must be refused, never normalised away. */
const AMBIGUOUS =
  /%2f|%5c|\\|;|%3b|%00|%0a|%0d|%c0|%e0%80|%ed%a0|%252e|%25%32|#|%(?![0-9a-f]{2})|%25(?=[0-9a-f]{2})|é/i;

describe('canonicalise', () => {
  it('decodes unreserved escapes, merges slashes and resolves dot segments', () => {
    expect(canonicalPath('/%61dmin')).toBe('/admin');
    expect(canonicalPath('//admin')).toBe('/admin');
    expect(canonicalPath('/x/../admin')).toBe('/admin');
    expect(canonicalPath('/x/%2e%2E/admin/')).toBe('/admin/');
    expect(canonicalPath('/../../etc')).toBe('/etc');
    expect(canonicalPath('/a/b/.')).toBe('/a/b/');
    expect(canonicalise('/caf%c3%a9/%7e')).toEqual({ path: '/café/~', target: '/caf%C3%A9/~' });
    expect(canonicalise('/a{b}')).toEqual({ path: '/a{b}', target: '/a%7Bb%7D' });
    expect(canonicalise('/q%3F')).toEqual({ path: '/q?', target: '/q%3F' });
  });

  it('refuses what a target could resolve differently, naming it', () => {
    expect(canonicalise('/a%2fb').refused).toBe('an encoded "/" (%2F)');
    expect(canonicalise('/a%5Cb').refused).toBe('an encoded backslash (%5C)');
    expect(canonicalise('/a\\b').refused).toBe('a backslash');
    expect(canonicalise('/admin;jsessionid=1').refused).toBe('a ";" parameter in a path segment');
    expect(canonicalise('/a%00').refused).toMatch(/control character/);
    expect(canonicalise('/%252e%252e/admin').refused).toMatch(/double-encoded/);
    expect(canonicalise('/%c0%ae%c0%ae/admin').refused).toMatch(/shortest form/);
    expect(canonicalise('/a%zz').refused).toMatch(/broken percent-escape/);
    expect(canonicalise('admin').refused).toMatch(/start with "\/"/);
  });

  it('refuses every ambiguous spelling, and anything it accepts is a fixed point a target reads the same way', () => {
    fc.assert(
      fc.property(hostilePath, (raw) => {
        const verdict = canonicalise(raw);
        if (AMBIGUOUS.test(raw)) {
          expect(verdict.refused).toBeDefined();
          return;
        }
        if (verdict.refused !== undefined) return;
        const { path, target } = verdict;
        // One form only: no empty or dot segment, starts at the root.
        expect(path.startsWith('/')).toBe(true);
        expect(path.split('/').slice(1, -1)).not.toContain('');
        expect(path.split('/')).not.toContain('.');
        expect(path.split('/')).not.toContain('..');
        // The target decodes it once to exactly the path the gateway matched…
        expect(decodeURIComponent(target)).toBe(path);
        // …and a WHATWG URL parser (what many upstreams use) resolves it to the same path.
        expect(decodeURIComponent(new URL(target, 'http://upstream.test').pathname)).toBe(path);
        // Canonical is canonical: the same again.
        expect(canonicalise(target)).toEqual({ path, target });
        // A target that decodes twice sees the same path, or an error, never another path.
        let twice: string | undefined;
        try {
          twice = decodeURIComponent(path);
        } catch {
          twice = undefined;
        }
        if (twice !== undefined) expect(twice).toBe(path);
      }),
      { numRuns: 3000 },
    );
  });

  it('never lets a path reach a prefix by a spelling other than its canonical one', () => {
    fc.assert(
      fc.property(hostilePath, (raw) => {
        const verdict = canonicalise(`/public${raw}`);
        if (verdict.refused !== undefined) return;
        const underAdmin = verdict.path === '/admin' || verdict.path.startsWith('/admin/');
        // Whatever the spelling, the target gets a path under /admin exactly when the gateway thinks so.
        const targetPath = decodeURIComponent(new URL(verdict.target, 'http://u.test').pathname);
        expect(targetPath === '/admin' || targetPath.startsWith('/admin/')).toBe(underAdmin);
      }),
      { numRuns: 3000 },
    );
  });
});
