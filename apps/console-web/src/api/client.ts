import { createApiClient, type ApiClient } from '@rustronaut/api-client';
import { csrfToken } from './session';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SESSION = '/api/v1/auth/session';

/** Where the console goes when the session cannot be renewed: sign-in, then back to this page. */
export function signInUrl(from: string = window.location.pathname + window.location.search): string {
  return from.startsWith('/sign-in') ? '/sign-in' : `/sign-in?return=${encodeURIComponent(from)}`;
}

let renewing: Promise<boolean> | undefined;
const retries = new WeakMap<Request, Request>();

/**
 * The console's one client of the API (same origin, the session cookie), typed by the client
 * generated from the OpenAPI document. Writes carry the CSRF token. An answer 401 renews the
 * session once with its refresh cookie and repeats the request; when that fails, the browser goes
 * to sign-in and comes back here afterwards.
 */
export const api: ApiClient = createApiClient({
  baseUrl: window.location.origin,
  credentials: 'same-origin',
  // The page's fetch at the time of each call (not captured once), so a test can stand in for the API.
  fetch: (request) => globalThis.fetch(request),
});

api.use({
  onRequest({ request }) {
    if (UNSAFE.has(request.method)) request.headers.set('x-csrf-token', csrfToken() ?? '');
    // Signing in and renewing are never repeated; everything else is, once, after a renewal.
    if (!(request.method === 'POST' && new URL(request.url).pathname.startsWith(SESSION)))
      retries.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    const retry = retries.get(request);
    if (response.status !== 401 || !retry) return response;
    renewing ??= api
      .POST('/api/v1/auth/session/refresh')
      .then(({ response: r }) => r.ok)
      .catch(() => false)
      .finally(() => (renewing = undefined));
    if (!(await renewing)) {
      onSignedOut();
      return response;
    }
    if (UNSAFE.has(retry.method)) retry.headers.set('x-csrf-token', csrfToken() ?? '');
    return globalThis.fetch(retry);
  },
});

let signedOut: () => void = () => window.location.assign(signInUrl());
/** What to do when the session is over (the app navigates; tests observe). */
export function onSignedOut(handler?: () => void): void {
  if (handler) signedOut = handler;
  else signedOut();
}
