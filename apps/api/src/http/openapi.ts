import { z } from 'zod';
import * as B from './bodies';
import * as P from './policy-bodies';

interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  public?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  ifMatch?: boolean;
}

/** Every route of the API; a test checks that the served routes and this list agree. */
export const ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Log in: access token, refresh token',
    tag: 'auth',
    public: true,
    body: B.LoginBody,
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    summary: 'New tokens for a refresh token (which stops working)',
    tag: 'auth',
    public: true,
    body: B.RefreshBody,
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'End this session; its tokens stop working at once',
    tag: 'auth',
  },
  {
    method: 'post',
    path: '/api/v1/auth/token',
    summary:
      'Exchange the API key you authenticate with for a short access token (≤ 15 min) that gateways accept; revoking the key ends it',
    tag: 'auth',
  },
  {
    method: 'post',
    path: '/api/v1/auth/resource-handoff',
    summary:
      'After browser sign-in: where to send the browser so the resource at return_url gets a session (its host must be a resource of your organisation)',
    tag: 'auth',
    body: B.ResourceHandoffBody,
  },
  {
    method: 'get',
    path: '/api/v1/auth/jwks',
    summary: 'Public keys that verify access tokens',
    tag: 'auth',
    public: true,
  },
  {
    method: 'post',
    path: '/api/v1/auth/keys/rotate',
    summary: 'New signing key (platform owners); nobody is logged out',
    tag: 'auth',
  },
  { method: 'get', path: '/api/v1/me', summary: 'Who am I', tag: 'auth' },
  { method: 'post', path: '/api/v1/me/totp/setup', summary: 'A new TOTP secret to scan', tag: 'auth' },
  {
    method: 'post',
    path: '/api/v1/me/totp/enable',
    summary: 'Turn on TOTP with a code from the device',
    tag: 'auth',
    body: B.EnableTotpBody,
  },
  { method: 'post', path: '/api/v1/me/totp/disable', summary: 'Turn off TOTP', tag: 'auth' },
  { method: 'post', path: '/api/v1/users', summary: 'Create a user', tag: 'users', body: B.CreateUserBody },
  {
    method: 'get',
    path: '/api/v1/users',
    summary: 'List users of your organisation',
    tag: 'users',
    query: B.PageQuery,
  },
  { method: 'get', path: '/api/v1/users/{id}', summary: 'One user (ETag: its version)', tag: 'users' },
  {
    method: 'patch',
    path: '/api/v1/users/{id}',
    summary: 'Change a user (If-Match for safe concurrent edits)',
    tag: 'users',
    body: B.UpdateUserBody,
    ifMatch: true,
  },
  {
    method: 'delete',
    path: '/api/v1/users/{id}',
    summary: 'Delete a user; their sessions end',
    tag: 'users',
    ifMatch: true,
  },
  {
    method: 'post',
    path: '/api/v1/groups',
    summary: 'Create a group',
    tag: 'groups',
    body: B.CreateGroupBody,
  },
  { method: 'get', path: '/api/v1/groups', summary: 'List groups', tag: 'groups', query: B.PageQuery },
  { method: 'get', path: '/api/v1/groups/{id}', summary: 'One group', tag: 'groups' },
  {
    method: 'patch',
    path: '/api/v1/groups/{id}',
    summary: 'Rename a group',
    tag: 'groups',
    body: B.UpdateGroupBody,
    ifMatch: true,
  },
  { method: 'delete', path: '/api/v1/groups/{id}', summary: 'Delete a group', tag: 'groups', ifMatch: true },
  {
    method: 'post',
    path: '/api/v1/groups/{id}/members',
    summary: 'Add a member',
    tag: 'groups',
    body: B.AddMemberBody,
  },
  {
    method: 'delete',
    path: '/api/v1/groups/{id}/members/{userId}',
    summary: 'Remove a member',
    tag: 'groups',
  },
  {
    method: 'post',
    path: '/api/v1/api-keys',
    summary: 'Create an API key (the key is shown once)',
    tag: 'api-keys',
    body: B.CreateApiKeyBody,
  },
  {
    method: 'get',
    path: '/api/v1/api-keys',
    summary: 'List API keys (admins: all; members: their own)',
    tag: 'api-keys',
    query: B.PageQuery,
  },
  { method: 'delete', path: '/api/v1/api-keys/{id}', summary: 'Revoke an API key', tag: 'api-keys' },
  {
    method: 'post',
    path: '/api/v1/orgs',
    summary: 'Create an organisation and its owner (platform owners)',
    tag: 'orgs',
    body: B.CreateOrgBody,
  },
  { method: 'get', path: '/api/v1/orgs', summary: 'Organisations you can see', tag: 'orgs' },
  { method: 'get', path: '/api/v1/orgs/{id}', summary: 'One organisation', tag: 'orgs' },
  {
    method: 'patch',
    path: '/api/v1/orgs/{id}',
    summary: 'Rename an organisation (owners)',
    tag: 'orgs',
    body: B.UpdateOrgBody,
    ifMatch: true,
  },
  {
    method: 'delete',
    path: '/api/v1/orgs/{id}',
    summary: 'Delete an organisation (platform owners)',
    tag: 'orgs',
    ifMatch: true,
  },
  {
    method: 'get',
    path: '/api/v1/audit',
    summary: 'Audit log, newest first, with filters and a cursor',
    tag: 'audit',
    query: B.AuditQuery,
  },
  {
    method: 'get',
    path: '/api/v1/audit/export',
    summary: 'The matching audit log as NDJSON',
    tag: 'audit',
    query: B.AuditQuery,
  },
  {
    method: 'get',
    path: '/api/v1/access-log',
    summary: "The gateways' access log (admins): every request and what decided it, newest first",
    tag: 'audit',
    query: B.AccessLogQuery,
  },
  {
    method: 'get',
    path: '/api/v1/access-log/export',
    summary: 'The matching access log as NDJSON',
    tag: 'audit',
    query: B.AccessLogQuery,
  },
  {
    method: 'post',
    path: '/api/v1/sites',
    summary: 'Create a site (its subnet may not overlap another site of the organisation)',
    tag: 'sites',
    body: P.SiteBody,
  },
  { method: 'get', path: '/api/v1/sites', summary: 'List sites', tag: 'sites', query: B.PageQuery },
  { method: 'get', path: '/api/v1/sites/{id}', summary: 'One site', tag: 'sites' },
  {
    method: 'patch',
    path: '/api/v1/sites/{id}',
    summary: 'Change a site',
    tag: 'sites',
    body: P.SitePatch,
    ifMatch: true,
  },
  {
    method: 'delete',
    path: '/api/v1/sites/{id}',
    summary: 'Delete a site without resources',
    tag: 'sites',
    ifMatch: true,
  },
  {
    method: 'post',
    path: '/api/v1/sites/{id}/connector',
    summary:
      "Issue the site's connector token (rustronaut connector --token); shown once, replaces the old one",
    tag: 'sites',
  },
  {
    method: 'get',
    path: '/api/v1/edge',
    summary: 'Where clients reach the gateways (tunnel endpoint, base domain, HTTPS port); public',
    tag: 'services',
  },
  {
    method: 'post',
    path: '/api/v1/services',
    summary: 'Expose a local service through a tunnel (rustronaut expose); the tunnel token is shown once',
    tag: 'services',
    body: P.ServiceBody,
  },
  {
    method: 'get',
    path: '/api/v1/services',
    summary: 'List exposed services',
    tag: 'services',
    query: B.PageQuery,
  },
  {
    method: 'get',
    path: '/api/v1/services/{id}',
    summary: 'One exposed service',
    tag: 'services',
  },
  {
    method: 'delete',
    path: '/api/v1/services/{id}',
    summary: 'Un-expose a service; its route leaves the gateways',
    tag: 'services',
  },
  {
    method: 'post',
    path: '/api/v1/resources',
    summary: 'Create a resource, targets inline if wanted',
    tag: 'resources',
    body: P.ResourceBody,
  },
  {
    method: 'get',
    path: '/api/v1/resources',
    summary: 'List resources (optionally of one site)',
    tag: 'resources',
    query: P.ResourceListQuery,
  },
  {
    method: 'get',
    path: '/api/v1/resources/{id}',
    summary: 'One resource with its targets',
    tag: 'resources',
  },
  {
    method: 'patch',
    path: '/api/v1/resources/{id}',
    summary: 'Change a resource',
    tag: 'resources',
    body: P.ResourcePatch,
    ifMatch: true,
  },
  {
    method: 'delete',
    path: '/api/v1/resources/{id}',
    summary: 'Delete a resource; its domains and port are freed',
    tag: 'resources',
    ifMatch: true,
  },
  {
    method: 'get',
    path: '/api/v1/resources/{id}/targets',
    summary: "A resource's targets",
    tag: 'resources',
  },
  {
    method: 'post',
    path: '/api/v1/resources/{id}/targets',
    summary: 'Add a target',
    tag: 'resources',
    body: P.TargetBody,
  },
  {
    method: 'patch',
    path: '/api/v1/resources/{id}/targets/{targetId}',
    summary: 'Change a target',
    tag: 'resources',
    body: P.TargetPatch,
  },
  {
    method: 'delete',
    path: '/api/v1/resources/{id}/targets/{targetId}',
    summary: 'Remove a target',
    tag: 'resources',
  },
  {
    method: 'put',
    path: '/api/v1/resources/{id}/pin',
    summary: "Set the resource's PIN (4–12 digits; stored as a scrypt hash; needs 'pin' in auth_methods)",
    tag: 'resources',
    body: B.PinBody,
  },
  {
    method: 'delete',
    path: '/api/v1/resources/{id}/pin',
    summary: "Remove the resource's PIN",
    tag: 'resources',
  },
  {
    method: 'put',
    path: '/api/v1/resources/{id}/password',
    summary:
      "Set the resource's password (8–200 characters; stored as a scrypt hash; needs 'password' in auth_methods)",
    tag: 'resources',
    body: B.PasswordBody,
  },
  {
    method: 'delete',
    path: '/api/v1/resources/{id}/password',
    summary: "Remove the resource's password",
    tag: 'resources',
  },
  {
    method: 'post',
    path: '/api/v1/resources/{id}/share-links',
    summary: 'Create a share link (its url is shown once; only its SHA-256 is kept)',
    tag: 'resources',
    body: B.ShareLinkBody,
  },
  {
    method: 'get',
    path: '/api/v1/resources/{id}/share-links',
    summary: 'List share links',
    tag: 'resources',
  },
  {
    method: 'delete',
    path: '/api/v1/resources/{id}/share-links/{linkId}',
    summary: 'Revoke a share link (gateways refuse it, and the sessions it opened, within seconds)',
    tag: 'resources',
  },
  {
    method: 'post',
    path: '/api/v1/policies',
    summary: 'Create a policy (deny wins over allow)',
    tag: 'policies',
    body: P.PolicyBody,
  },
  {
    method: 'post',
    path: '/api/v1/policies/simulate',
    summary: 'May user U reach resource R from IP X at time T, and which rule decides',
    tag: 'policies',
    body: P.SimulateBody,
  },
  { method: 'get', path: '/api/v1/policies', summary: 'List policies', tag: 'policies', query: B.PageQuery },
  { method: 'get', path: '/api/v1/policies/{id}', summary: 'One policy', tag: 'policies' },
  {
    method: 'patch',
    path: '/api/v1/policies/{id}',
    summary: 'Change a policy',
    tag: 'policies',
    body: P.PolicyPatch,
    ifMatch: true,
  },
  {
    method: 'delete',
    path: '/api/v1/policies/{id}',
    summary: 'Delete a policy',
    tag: 'policies',
    ifMatch: true,
  },
  {
    method: 'get',
    path: '/api/v1/config/keys',
    summary: 'Public keys that verify site config snapshots',
    tag: 'gateways',
    public: true,
  },
  { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', tag: 'meta', public: true },
  { method: 'get', path: '/api/v1/health', summary: 'Liveness', tag: 'meta', public: true },
];

const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['status', 'code', 'message'],
      properties: {
        status: { type: 'integer' },
        code: { type: 'string', description: 'stable code, listed in docs/errors.md' },
        message: { type: 'string' },
        details: { type: 'object' },
        trace_id: { type: 'string' },
      },
    },
  },
};

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTE_DOCS) {
    const parameters: unknown[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (route.query) {
      for (const [name, schema] of Object.entries(route.query.shape)) {
        parameters.push({
          name,
          in: 'query',
          required: false,
          schema: z.toJSONSchema(schema as z.ZodType, { io: 'input' }),
        });
      }
    }
    if (route.ifMatch)
      parameters.push({ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } });
    const errors = Object.fromEntries(
      ['400', '401', '403', '404', '409', '429'].map((s) => [
        s,
        { description: 'error', content: { 'application/json': { schema: ErrorSchema } } },
      ]),
    );
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      tags: [route.tag],
      ...(route.public ? { security: [] } : {}),
      parameters,
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input' }) } },
            },
          }
        : {}),
      responses: { '200': { description: 'OK' }, ...errors },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rustronaut API',
      version: '1',
      description: 'Zero-trust network access: the console API.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An access token (JWT) or an API key (rnk_…)',
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
