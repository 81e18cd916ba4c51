/**
 * The one canonical form of a request's path, decided once before routing, firewall rules and
 * policies look at it, and the path the target receives.
 *
 * - Percent-escapes of unreserved characters (`%61` → `a`, `%2e` → `.`) are decoded, the others
 *   kept with upper-case hex (RFC 3986 §6.2.2).
 * - Empty segments are merged (`//a` → `/a`) and `.` / `..` segments resolved (§5.2.4, never above `/`).
 * - What an upstream could read differently from the gateway is refused (400): an encoded `/` or
 *   `\` (`%2f`, `%5c`), a backslash, a `;` parameter (raw or `%3b`), a NUL or other control
 *   character (raw or encoded), an encoded `%` that starts another escape (`%252e`: double
 *   encoding), a broken escape, bytes that are not UTF-8 in its shortest form (overlong `%c0%ae`),
 *   a fragment (`#`) and raw non-ASCII.
 * - Characters a client should have escaped (`"`, `<`, `>`, `^`, `` ` ``, `{`, `|`, `}`) are escaped.
 *
 * `path` is the decoded form rules match (what the target sees after decoding once); `target` is
 * the same path as sent to the target, escaped. Decoding `target` once gives `path` exactly.
 */
export type PathVerdict = { path: string; target: string; refused?: undefined } | { refused: string };

// Character classes of the raw request-target, by char code.
const PLAIN = 1; // pchar kept as is: unreserved, sub-delims but ';', ':', '@'
const ESCAPE = 2; // escaped on the way to the target
const REFUSED = 3;
const CLASS = new Uint8Array(128).fill(REFUSED);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@")
  CLASS[c.charCodeAt(0)] = PLAIN;
for (const c of '"<>^`{|}') CLASS[c.charCodeAt(0)] = ESCAPE;
/** Unreserved (decoded when escaped). */
const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~')
  UNRESERVED[c.charCodeAt(0)] = 1;

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;

const REASONS: Record<string, string> = {
  ';': 'a ";" parameter in a path segment',
  '\\': 'a backslash',
  '#': 'a fragment ("#")',
  ' ': 'a raw space',
};

/**
 * Whether a raw path is already canonical (the common case): only plain characters, no empty or
 * dot segment. Such a path is its own canonical form and costs nothing more.
 */
function isCanonical(raw: string): boolean {
  if (raw.charCodeAt(0) !== SLASH) return false;
  let segmentStart = 1;
  for (let i = 1; i <= raw.length; i++) {
    const c = i === raw.length ? SLASH : raw.charCodeAt(i);
    if (c === SLASH) {
      const length = i - segmentStart;
      // An empty segment is fine only as the trailing slash.
      if (length === 0 && i !== raw.length) return false;
      if (length === 1 && raw.charCodeAt(segmentStart) === DOT) return false;
      if (length === 2 && raw.charCodeAt(segmentStart) === DOT && raw.charCodeAt(segmentStart + 1) === DOT)
        return false;
      segmentStart = i + 1;
    } else if (c >= 128 || CLASS[c] !== PLAIN) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

const HEX = '0123456789ABCDEF';

/** One segment, decoded (`path`) and escaped (`target`), or why it is refused. */
function segmentOf(raw: string): { path: string; target: string } | string {
  let path = '';
  let target = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === PERCENT) {
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high < 0 || low < 0) return `a broken percent-escape ("${raw.slice(i, i + 3)}")`;
      const byte = high * 16 + low;
      if (byte < 128) {
        if (UNRESERVED[byte]) {
          path += String.fromCharCode(byte);
          target += String.fromCharCode(byte);
        } else if (byte === SLASH) return 'an encoded "/" (%2F)';
        else if (byte === 0x5c) return 'an encoded backslash (%5C)';
        else if (byte === 0x3b) return 'an encoded ";" (%3B)';
        else if (byte < 0x20 || byte === 0x7f) return 'an encoded control character (NUL, CR, LF, …)';
        else {
          path += String.fromCharCode(byte);
          target += `%${HEX[high]}${HEX[low]}`;
        }
        i += 2;
        continue;
      }
      // A run of escaped bytes ≥ 0x80: one or more UTF-8 characters, in their shortest form.
      let end = i;
      while (raw.charCodeAt(end) === PERCENT && hexValue(raw.charCodeAt(end + 1)) >= 8) end += 3;
      const run = raw.slice(i, end).toUpperCase();
      try {
        path += decodeURIComponent(run);
      } catch {
        return 'bytes that are not UTF-8 in its shortest form (overlong or broken)';
      }
      target += run;
      i = end - 1;
      continue;
    }
    const kind = c < 128 ? CLASS[c] : REFUSED;
    if (kind === PLAIN) {
      path += raw[i];
      target += raw[i];
    } else if (kind === ESCAPE) {
      path += raw[i];
      target += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    } else {
      const reason = REASONS[raw[i] ?? ''];
      return reason ?? (c < 128 ? 'a control character' : 'a raw non-ASCII character (escape it)');
    }
  }
  // `%2541`, `%25%34%31`: decoded once, an escape again — a target that decodes twice would differ.
  if (path.includes('%') && DOUBLE_ENCODED.test(path))
    return 'a double-encoded escape (an escaped "%" that makes another escape)';
  return { path, target };
}

const DOUBLE_ENCODED = /%[0-9A-Fa-f]{2}/;

/** The canonical form of a raw path (no query), or why it is refused. */
export function canonicalise(raw: string): PathVerdict {
  if (isCanonical(raw)) return { path: raw, target: raw };
  if (raw.charCodeAt(0) !== SLASH) return { refused: 'a path that does not start with "/"' };
  const paths: string[] = [];
  const targets: string[] = [];
  const segments = raw.split('/');
  let trailing = false;
  for (let s = 1; s < segments.length; s++) {
    const last = s === segments.length - 1;
    const segment = segmentOf(segments[s] ?? '');
    if (typeof segment === 'string') return { refused: segment };
    trailing = last;
    if (segment.path === '' || segment.path === '.') continue;
    if (segment.path === '..') {
      paths.pop();
      targets.pop();
      continue;
    }
    trailing = false;
    paths.push(segment.path);
    targets.push(segment.target);
  }
  if (paths.length === 0) return { path: '/', target: '/' };
  const end = trailing ? '/' : '';
  return { path: `/${paths.join('/')}${end}`, target: `/${targets.join('/')}${end}` };
}

/** The canonical (decoded) path, for tests and rules; throws on a path the gateway refuses. */
export function canonicalPath(raw: string): string {
  const verdict = canonicalise(raw);
  if (verdict.refused !== undefined) throw new Error(`refused path ${raw}: ${verdict.refused}`);
  return verdict.path;
}
