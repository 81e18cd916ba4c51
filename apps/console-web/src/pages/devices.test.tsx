import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DevicesPage } from './devices';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const PRIVATE_KEY = 'cHJpdmF0ZS1rZXktb2YtdGhlLWxhcHRvcC0wMDAwMDA=';
const device = {
  id: 'dev_1',
  org_id: 'org_default',
  site_id: 'st_1',
  user_id: 'usr_1',
  name: 'laptop',
  public_key: 'cHVibGljLWtleS1vZi10aGUtbGFwdG9wLTAwMDAwMDA=',
  address: '10.77.0.2',
  created_at: '2026-12-07T03:00:00.000Z',
  revoked_at: null,
  last_seen_at: null,
  rx_bytes: 0,
  tx_bytes: 0,
};

/** The API as the devices page sees it; the config answers say which key they were asked with. */
const configRequests: { format: string | null; key: string | null }[] = [];
let devices: unknown[] = [];

beforeEach(() => {
  configRequests.length = 0;
  devices = [];
  vi.stubGlobal('fetch', async (input: Request) => {
    const url = new URL(input.url);
    if (url.pathname === '/api/v1/sites')
      return json(200, { items: [{ id: 'st_1', name: 'Office' }], next_cursor: null });
    if (url.pathname === '/api/v1/users')
      return json(200, { items: [{ id: 'usr_1', email: 'ada@example.com' }], next_cursor: null });
    if (url.pathname === '/api/v1/devices' && input.method === 'GET') return json(200, { items: devices });
    if (url.pathname === '/api/v1/devices' && input.method === 'POST') {
      devices = [device];
      return json(201, { ...device, private_key: PRIVATE_KEY, config: '[Interface]\n…' });
    }
    if (url.pathname === '/api/v1/devices/dev_1/config') {
      const key = input.headers.get('x-rustronaut-device-key');
      configRequests.push({ format: url.searchParams.get('format'), key });
      return url.searchParams.get('format') === 'qr'
        ? new Response('<svg xmlns="http://www.w3.org/2000/svg"/>', {
            headers: { 'content-type': 'image/svg+xml' },
          })
        : new Response(`[Interface]\nPrivateKey = ${key ?? '<the device private key>'}\n`, {
            headers: { 'content-type': 'text/plain' },
          });
    }
    return json(404, { error: { status: 404, code: 'API_ROUTE_NOT_FOUND', message: 'no' } });
  });
  document.cookie = 'rn_csrf=token-1';
});

function renderPage() {
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter>
          <DevicesPage />
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

describe('the devices page', () => {
  it('shows a made private key once, with the config and QR that carry it; a listed device’s config asks without it', async () => {
    const user = userEvent.setup();
    renderPage();
    await screen.findByText('No devices');
    await user.type(screen.getByLabelText(/^Name/), 'laptop');
    await waitFor(() => expect(document.querySelectorAll('[role="option"]').length).toBeGreaterThan(0));
    await user.click(screen.getAllByLabelText(/^Site/)[0] as HTMLElement);
    await user.keyboard('{ArrowDown}{Enter}');
    await waitFor(() => expect(screen.getAllByLabelText(/^Site/)[0]).toHaveProperty('value', 'Office'));
    await user.click(screen.getByRole('button', { name: 'Create device' }));

    expect((await screen.findByText(PRIVATE_KEY)).getAttribute('aria-label')).toBe('Private key of laptop');
    await screen.findByAltText("QR code of laptop's WireGuard config");
    expect(screen.getByLabelText('WireGuard config of laptop').textContent).toContain(
      `PrivateKey = ${PRIVATE_KEY}`,
    );
    expect(configRequests).toEqual([
      { format: 'conf', key: PRIVATE_KEY },
      { format: 'qr', key: PRIVATE_KEY },
    ]);

    configRequests.length = 0;
    await user.click(await screen.findByRole('button', { name: 'Config' }));
    await waitFor(() => expect(configRequests).toHaveLength(2));
    expect(configRequests.every((r) => r.key === null)).toBe(true);
  });
});
