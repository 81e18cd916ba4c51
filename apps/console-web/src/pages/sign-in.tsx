import { Alert, Button, Center, Divider, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { ApiProblem, answer, fieldErrors } from '../api/problems';

/** Only a path of this console (never another origin) is a place to come back to. */
export function returnPath(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

/** Whether the platform still waits for its first administrator (then sign-in gives way to first run). */
export const useSetupStatus = () =>
  useQuery({
    queryKey: ['setup'],
    queryFn: () => answer(api.GET('/api/v1/setup')),
    staleTime: 60_000,
  });

/** Where a provider's button starts: its sign-in, landing back on this console's page. */
export function providerStartUrl(startUrl: string, back: string): string {
  return `${startUrl}${startUrl.includes('?') ? '&' : '?'}console=${encodeURIComponent(back)}`;
}

/** The organisation's identity providers (by ?org= slug, the default organisation otherwise). */
function IdentityProviders({ org, back }: { org: string | null; back: string }) {
  const providers = useQuery({
    queryKey: ['sign-in-providers', org],
    queryFn: () => answer(api.GET('/api/v1/auth/providers', { params: { query: org ? { org } : {} } })),
    staleTime: 60_000,
  });
  const items = providers.data?.providers ?? [];
  if (!items.length) return null;
  return (
    <Stack gap="xs" aria-label="Identity providers" role="group">
      {items.map((p) => (
        <Button key={p.id} component="a" variant="default" href={providerStartUrl(p.start_url, back)}>
          Sign in with {p.name}
        </Button>
      ))}
    </Stack>
  );
}

/** Signing in with a passkey: the API's options, the browser's authenticator, a console session. */
async function passkeySignIn() {
  const optionsJSON = await answer(api.POST('/api/v1/auth/passkey/options', { body: {} }));
  // Loaded on demand: the sign-in page's first load stays small.
  const { startAuthentication } = await import('@simplewebauthn/browser');
  const response = await startAuthentication({
    optionsJSON: optionsJSON as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'],
  });
  return answer(
    api.POST('/api/v1/auth/session/passkey', {
      body: { response: response as unknown as Record<string, unknown> },
    }),
  );
}

export function SignInPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const setup = useSetupStatus();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needsTotp, setNeedsTotp] = useState(false);
  const back = returnPath(params.get('return'));
  const signedIn = async () => {
    await queries.invalidateQueries({ queryKey: ['session'] });
    void navigate(back, { replace: true });
  };
  const signIn = useMutation({
    mutationFn: () =>
      answer(api.POST('/api/v1/auth/session', { body: { email, password, ...(totp ? { totp } : {}) } })),
    onSuccess: signedIn,
    onError: (error) => {
      if (error instanceof ApiProblem && error.code === 'AUTH_TOTP_REQUIRED') setNeedsTotp(true);
    },
  });
  const passkey = useMutation({ mutationFn: passkeySignIn, onSuccess: signedIn });
  const errors = fieldErrors(signIn.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };
  if (setup.data?.needed) return <Navigate to="/first-run" replace />;
  return (
    <Center mih="100vh" bg="gray.1">
      <Paper component="main" withBorder shadow="sm" p="xl" w={380}>
        <Stack>
          <form onSubmit={submit} aria-label="Sign in">
            <Stack>
              <Title order={1} size="h3">
                Sign in to Rustronaut
              </Title>
              <TextInput
                label="Email"
                type="email"
                autoComplete="username webauthn"
                required
                autoFocus
                value={email}
                onChange={(e) => setEmail(e.currentTarget.value)}
                error={errors['email']}
              />
              <PasswordInput
                label="Password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                error={errors['password']}
              />
              {needsTotp && (
                <TextInput
                  label="Code from your authenticator app"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  value={totp}
                  onChange={(e) => setTotp(e.currentTarget.value)}
                  error={errors['totp']}
                  autoFocus
                />
              )}
              {signIn.error && !Object.keys(errors).length && (
                <Alert color="red" role="alert">
                  {signIn.error.message}
                </Alert>
              )}
              <Button type="submit" loading={signIn.isPending}>
                Sign in
              </Button>
            </Stack>
          </form>
          <Divider label="or" labelPosition="center" />
          <Button variant="default" loading={passkey.isPending} onClick={() => passkey.mutate()}>
            Sign in with a passkey
          </Button>
          {passkey.error && (
            <Alert color="red" role="alert" title="Passkey sign-in failed">
              {passkey.error.message}
            </Alert>
          )}
          <IdentityProviders org={params.get('org')} back={back} />
        </Stack>
      </Paper>
    </Center>
  );
}
