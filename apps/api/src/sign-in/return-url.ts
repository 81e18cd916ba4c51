import { ApiError, ApiErrorCode } from '../http/api-errors';

/** Where a browser asked to go back to after signing in, once it is known to be safe to parse. */
export interface ReturnUrl {
  scheme: 'http' | 'https';
  /** Lower-case host name, no port. */
  host: string;
  /** `host[:port]` as the browser will reach it. */
  authority: string;
  /** Path and query on that host. */
  pathAndQuery: string;
}

const invalid = (why: string) =>
  new ApiError(ApiErrorCode.InvalidReturnUrl, `This sign-in link's return address is refused: ${why}.`);

/**
 * Checks the shape of a return URL before anyone is sent there: an absolute http(s) URL written
 * plainly, with no user info, no backslashes, no control characters or spaces. Whether its host is
 * one of the organisation's resources is checked after sign-in (the host list is per organisation).
 * Refuses `//evil.com`, `javascript:…`, `https://app@evil.com`, `https:\\evil.com`, and the like.
 */
export function parseReturnUrl(raw: string | undefined | null): ReturnUrl {
  if (!raw) throw invalid('there is none');
  if (raw.length > 2000) throw invalid('it is too long');
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || raw[i] === '\\')
      throw invalid('it contains spaces, control characters or backslashes');
  }
  const scheme = /^(https?):\/\/(?!\/)/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw invalid('it must be an http:// or https:// address');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('it is not a URL');
  }
  if (
    url.username ||
    url.password ||
    raw
      .slice(scheme.length + 3)
      .split(/[/?#]/)[0]!
      .includes('@')
  )
    throw invalid('it carries user information (user@host)');
  if (!url.hostname) throw invalid('it has no host');
  return {
    scheme,
    host: url.hostname.toLowerCase().replace(/\.$/, ''),
    authority: url.host.toLowerCase(),
    pathAndQuery: `${url.pathname}${url.search}`,
  };
}
