import { Button, Center, Loader, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { ProblemAlert } from '../ui/parts';
import { useSetupStatus } from './sign-in';

const FIELDS = ['organization', 'name', 'email', 'password'] as const;

/**
 * The first run of a platform without an administrator (RN_ADMIN_SETUP=console): the organisation's
 * name and its owner, who is then signed in. Once someone has done it, this page sends you to sign-in.
 */
export function FirstRunPage() {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const setup = useSetupStatus();
  const [form, setForm] = useState({ organization: '', name: '', email: '', password: '' });
  const create = useMutation({
    mutationFn: async () => {
      await answer(api.POST('/api/v1/setup', { body: form }));
      await answer(
        api.POST('/api/v1/auth/session', { body: { email: form.email, password: form.password } }),
      );
    },
    onSuccess: async () => {
      queries.setQueryData(['setup'], { needed: false });
      await queries.invalidateQueries({ queryKey: ['session'] });
      void navigate('/', { replace: true });
    },
  });
  if (setup.isPending)
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (setup.data && !setup.data.needed && !create.isPending && !create.isSuccess)
    return <Navigate to="/sign-in" replace />;
  const errors = fieldErrors(create.error);
  const set = (key: (typeof FIELDS)[number]) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [key]: e.currentTarget.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Center mih="100vh" bg="gray.1">
      <Paper component="main" withBorder shadow="sm" p="xl" w={420}>
        <form onSubmit={submit} aria-label="First run">
          <Stack>
            <Title order={1} size="h3">
              Welcome to Rustronaut
            </Title>
            <Text size="sm" c="dimmed">
              This platform has no administrator yet. Name your organisation and create its owner account: you
              will be signed in with it.
            </Text>
            <TextInput
              label="Organisation name"
              required
              autoFocus
              value={form.organization}
              onChange={set('organization')}
              error={errors['organization']}
            />
            <TextInput
              label="Your name"
              required
              autoComplete="name"
              value={form.name}
              onChange={set('name')}
              error={errors['name']}
            />
            <TextInput
              label="Email"
              type="email"
              required
              autoComplete="username"
              value={form.email}
              onChange={set('email')}
              error={errors['email']}
            />
            <PasswordInput
              label="Password"
              description="At least 10 characters"
              required
              autoComplete="new-password"
              value={form.password}
              onChange={set('password')}
              error={errors['password']}
            />
            <ProblemAlert problem={create.error} fields={FIELDS} />
            <Button type="submit" loading={create.isPending}>
              Create the administrator
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
