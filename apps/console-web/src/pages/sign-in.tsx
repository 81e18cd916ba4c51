import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { ApiProblem, answer, fieldErrors } from '../api/problems';

/** Only a path of this console (never another origin) is a place to come back to. */
export function returnPath(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

export function SignInPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needsTotp, setNeedsTotp] = useState(false);
  const signIn = useMutation({
    mutationFn: () =>
      answer(api.POST('/api/v1/auth/session', { body: { email, password, ...(totp ? { totp } : {}) } })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['session'] });
      void navigate(returnPath(params.get('return')), { replace: true });
    },
    onError: (error) => {
      if (error instanceof ApiProblem && error.code === 'AUTH_TOTP_REQUIRED') setNeedsTotp(true);
    },
  });
  const errors = fieldErrors(signIn.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };
  return (
    <Center mih="100vh" bg="gray.1">
      <Paper component="main" withBorder shadow="sm" p="xl" w={380}>
        <form onSubmit={submit} aria-label="Sign in">
          <Stack>
            <Title order={1} size="h3">
              Sign in to Rustronaut
            </Title>
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
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
            {/* Identity providers' buttons go here when the organisation has some (issue 17). */}
            <Text size="xs" c="dimmed" data-slot="identity-providers" />
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
