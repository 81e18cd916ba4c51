import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PolicyEditor } from './policies';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const page = (items: unknown[]) => ({ items, next_cursor: null });

/** The API as the editor sees it: lists, and what POST /policies answers (set per test). */
let answerToCreate: () => Response;
const requests: { method: string; path: string; body: unknown; headers: Headers }[] = [];

beforeEach(() => {
  requests.length = 0;
  vi.stubGlobal('fetch', async (input: Request) => {
    const path = new URL(input.url).pathname;
    requests.push({
      method: input.method,
      path,
      body: input.method === 'GET' ? undefined : await input.clone().json(),
      headers: input.headers,
    });
    if (path === '/api/v1/users') return json(200, page([{ id: 'usr_1', email: 'bob@example.com' }]));
    if (path === '/api/v1/groups') return json(200, page([{ id: 'grp_1', name: 'Engineers', members: [] }]));
    if (path === '/api/v1/resources') return json(200, page([{ id: 'res_1', name: 'App' }]));
    if (path === '/api/v1/resources/res_1/token-issuers')
      return json(200, {
        items: [
          {
            id: 'tis_1',
            resource_id: 'res_1',
            name: 'CI',
            issuer: 'https://ci.example.com',
            audience: 'app',
            algorithms: ['EdDSA'],
            keys: [{ kty: 'OKP', fingerprint: 'AbCdEfGhIjKlMnOp' }],
            created_at: '2026-12-07T00:00:00Z',
          },
        ],
      });
    if (path === '/api/v1/policies' && input.method === 'POST') return answerToCreate();
    return json(404, { error: { status: 404, code: 'API_ROUTE_NOT_FOUND', message: 'no' } });
  });
  document.cookie = 'rn_csrf=token-1';
});

function renderEditor() {
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter>
          <PolicyEditor />
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

describe('the policy editor', () => {
  it('shows the API validation error beside the field it names, and keeps what was typed', async () => {
    answerToCreate = () =>
      json(400, {
        error: {
          status: 400,
          code: 'VALIDATION_FAILED',
          message: 'body.conditions.source_cidrs.0: is not a CIDR such as 10.1.0.0/24',
          details: {
            issues: [
              { field: 'body.conditions.source_cidrs.0', message: 'is not a CIDR such as 10.1.0.0/24' },
            ],
          },
        },
      });
    renderEditor();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Name/), 'office only');
    await user.type(screen.getByLabelText(/^Source addresses/), '10.0.0.0/33');
    await user.click(screen.getByRole('button', { name: 'Create policy' }));

    const field = screen.getByLabelText(/^Source addresses/);
    await waitFor(() =>
      expect(requests.map((r) => `${r.method} ${r.path}`)).toContain('POST /api/v1/policies'),
    );
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    const described = (field.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain('is not a CIDR such as 10.1.0.0/24');
    expect(screen.getByRole('alert').textContent).toContain('Check the fields marked below.');
    expect(field).toHaveProperty('value', '10.0.0.0/33');
    const sent = requests.find((r) => r.method === 'POST')!;
    expect(sent.body).toMatchObject({ name: 'office only', conditions: { source_cidrs: ['10.0.0.0/33'] } });
    expect(sent.headers.get('x-csrf-token')).toBe('token-1');
  });

  it('says the policy in words as it is edited', async () => {
    answerToCreate = () => json(201, {});
    renderEditor();
    const user = userEvent.setup();
    await user.click(screen.getByRole('radio', { name: 'Deny' }));
    await user.type(screen.getByLabelText(/^Countries/), 'ru');
    expect(screen.getByTestId('policy-summary').textContent).toBe(
      'Deny everyone access to every resource in RU.',
    );
  });

  it('offers the trusted token issuers of the chosen resources, and sends the one picked with its subs', async () => {
    answerToCreate = () => json(201, { id: 'pol_1' });
    renderEditor();
    const user = userEvent.setup();
    expect(screen.queryByRole('button', { name: 'Add token issuer' })).toBeNull();
    await user.type(screen.getByLabelText(/^Name/), 'ci deploys');
    await user.click(screen.getAllByLabelText(/^Resources/)[0]!);
    await user.click(await screen.findByRole('option', { name: 'App', hidden: true }));
    await user.click(await screen.findByRole('button', { name: 'Add token issuer' }));
    expect(screen.getAllByLabelText(/^Token issuer 1/).find((e) => e.tagName === 'INPUT')).toHaveProperty(
      'value',
      'CI (https://ci.example.com) at App',
    );
    await user.type(screen.getByLabelText(/^Subjects \(sub\)/), 'deploy-bot, backup');
    expect(screen.getByTestId('policy-summary').textContent).toBe(
      'Allow deploy-bot, backup with a token of the issuer CI to reach App.',
    );
    await user.click(screen.getByRole('button', { name: 'Create policy' }));
    await waitFor(() => expect(requests.some((r) => r.method === 'POST')).toBe(true));
    expect(requests.find((r) => r.method === 'POST')!.body).toMatchObject({
      resource_ids: ['res_1'],
      subjects: { tokens: [{ issuer_id: 'tis_1', subs: ['deploy-bot', 'backup'] }] },
    });
  });
});
