import '@mantine/core/styles.css';
import { MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider, createBrowserRouter } from 'react-router';
import { RequireSession } from './pages/require-session';
import { SignInPage } from './pages/sign-in';
import { Layout } from './ui/layout';

// Pages load when first opened: the first visit loads only the shell and sign-in.
const page = <M, K extends keyof M>(load: () => Promise<M>, name: K) =>
  lazy(async () => ({ default: (await load())[name] as React.ComponentType }));
const Overview = page(() => import('./pages/overview'), 'OverviewPage');
const Sites = page(() => import('./pages/sites'), 'SitesPage');
const Resources = page(() => import('./pages/resources'), 'ResourcesPage');
const ResourceEdit = page(() => import('./pages/resources'), 'ResourceEditPage');
const Policies = page(() => import('./pages/policies'), 'PoliciesPage');
const PolicyEdit = page(() => import('./pages/policies'), 'PolicyEditPage');
const Simulator = page(() => import('./pages/simulator'), 'SimulatorPage');
const Gateways = page(() => import('./pages/gateways'), 'GatewaysPage');
const Services = page(() => import('./pages/services'), 'ServicesPage');
const AccessLog = page(() => import('./pages/access-log'), 'AccessLogPage');
const Audit = page(() => import('./pages/audit'), 'AuditPage');
const Users = page(() => import('./pages/users'), 'UsersPage');
const ApiKeys = page(() => import('./pages/api-keys'), 'ApiKeysPage');
const Account = page(() => import('./pages/account'), 'AccountPage');
const Devices = page(() => import('./pages/devices'), 'DevicesPage');
const FirstRun = page(() => import('./pages/first-run'), 'FirstRunPage');

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage /> },
  {
    path: '/first-run',
    element: (
      <Suspense>
        <FirstRun />
      </Suspense>
    ),
  },
  {
    element: (
      <RequireSession>
        <Layout />
      </RequireSession>
    ),
    children: [
      { path: '/', element: <Overview /> },
      { path: '/sites', element: <Sites /> },
      { path: '/resources', element: <Resources /> },
      { path: '/resources/:id', element: <ResourceEdit /> },
      { path: '/policies', element: <Policies /> },
      { path: '/policies/:id', element: <PolicyEdit /> },
      { path: '/simulator', element: <Simulator /> },
      { path: '/gateways', element: <Gateways /> },
      { path: '/services', element: <Services /> },
      { path: '/access-log', element: <AccessLog /> },
      { path: '/audit', element: <Audit /> },
      { path: '/users', element: <Users /> },
      { path: '/api-keys', element: <ApiKeys /> },
      { path: '/devices', element: <Devices /> },
      { path: '/account', element: <Account /> },
    ],
  },
]);

/** Darkest shades for filled colours, darker dimmed text, underlined links: WCAG AA (the axe check). */
const theme = createTheme({
  primaryShade: 9,
  // Links in running text are told apart by more than their colour.
  components: { Anchor: { defaultProps: { underline: 'always' } } },
});
const contrast: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});

const queries = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 5_000 } } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={contrast}>
      <QueryClientProvider client={queries}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
