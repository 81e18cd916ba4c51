import { AppShell, Button, Group, NavLink, ScrollArea, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Suspense } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';

const PAGES: [string, string][] = [
  ['/', 'Overview'],
  ['/sites', 'Sites'],
  ['/resources', 'Resources'],
  ['/policies', 'Policies'],
  ['/simulator', 'Simulator'],
  ['/gateways', 'Gateways'],
  ['/services', 'Exposed services'],
  ['/devices', 'Devices'],
  ['/access-log', 'Access log'],
  ['/audit', 'Audit log'],
  ['/users', 'Users & groups'],
  ['/api-keys', 'API keys'],
  ['/account', 'Your account'],
];

/** The signed-in console: navigation on the left (links, so the keyboard reaches them), the page. */
export function Layout() {
  const location = useLocation();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const signOut = async () => {
    await api.DELETE('/api/v1/auth/session');
    queries.clear();
    void navigate('/sign-in');
  };
  return (
    <AppShell navbar={{ width: 220, breakpoint: 'sm' }} header={{ height: 52 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Text fw={700} component="span">
            Rustronaut
          </Text>
          <Button variant="subtle" size="xs" onClick={() => void signOut()}>
            Sign out
          </Button>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Console">
        <ScrollArea>
          {PAGES.map(([to, label]) => (
            <NavLink
              key={to}
              component={Link}
              to={to}
              label={label}
              variant="filled"
              active={to === '/' ? location.pathname === '/' : location.pathname.startsWith(to)}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Text c="dimmed">Loading…</Text>}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
