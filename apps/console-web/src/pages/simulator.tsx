import {
  Alert,
  Anchor,
  Button,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { PageHeader, ProblemAlert } from '../ui/parts';
import { useUsers } from './directory';
import { useResources } from './resources';

/** The simulator's question as URL parameters: what a refused access-log line links to. */
export function simulatorLink(question: {
  user?: string | null;
  resource?: string | null;
  ip?: string;
  path?: string;
  method?: string;
  at?: string;
}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(question)) if (value) params.set(key, value);
  return `/simulator?${params.toString()}`;
}

/** "Would this user reach this resource from this address at this time, and which policy decided?" */
export function SimulatorPage() {
  const [params] = useSearchParams();
  const users = useUsers();
  const resources = useResources();
  const [question, setQuestion] = useState({
    user: params.get('user') ?? '',
    resource: params.get('resource') ?? '',
    ip: params.get('ip') ?? '',
    path: params.get('path') ?? '/',
    method: params.get('method') ?? 'GET',
    at: params.get('at') ?? '',
  });
  const simulate = useMutation({
    mutationFn: () =>
      answer(
        api.POST('/api/v1/policies/simulate', {
          body: {
            user_id: question.user || null,
            ...(question.resource ? { resource_id: question.resource } : {}),
            ip: question.ip,
            path: question.path,
            method: question.method,
            ...(question.at ? { at: new Date(question.at).toISOString() } : {}),
          },
        }),
      ),
  });
  const errors = fieldErrors(simulate.error);
  const set = (key: keyof typeof question) => (value: string) => setQuestion((q) => ({ ...q, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    simulate.mutate();
  };
  const result = simulate.data;
  const resourceName = (id: string) => resources.data?.items.find((r) => r.id === id)?.name ?? id;
  return (
    <Stack>
      <PageHeader title="Policy simulator" />
      <Text size="sm" c="dimmed">
        Why was someone let in or refused? Ask with their request; the console runs the gateways' own decision
        engine.
      </Text>
      <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Simulate an access">
        <Stack>
          <SimpleGrid cols={{ base: 1, md: 3 }}>
            <Select
              label="User"
              placeholder="Nobody signed in"
              data={(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.email }))}
              value={question.user || null}
              onChange={(v) => set('user')(v ?? '')}
              error={errors['user_id']}
              searchable
              clearable
            />
            <Select
              label="Resource"
              data={(resources.data?.items ?? []).map((r) => ({ value: r.id, label: r.name }))}
              value={question.resource || null}
              onChange={(v) => set('resource')(v ?? '')}
              error={errors['resource_id']}
              searchable
            />
            <TextInput
              label="From address"
              required
              placeholder="203.0.113.7"
              value={question.ip}
              onChange={(e) => set('ip')(e.currentTarget.value)}
              error={errors['ip']}
            />
            <TextInput
              label="Path"
              value={question.path}
              onChange={(e) => set('path')(e.currentTarget.value)}
              error={errors['path']}
            />
            <TextInput
              label="Method"
              value={question.method}
              onChange={(e) => set('method')(e.currentTarget.value.toUpperCase())}
              error={errors['method']}
            />
            <TextInput
              label="At"
              placeholder="now"
              description="ISO time, e.g. 2026-12-07T09:00:00Z"
              value={question.at}
              onChange={(e) => set('at')(e.currentTarget.value)}
              error={errors['at']}
            />
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={simulate.isPending}>
              Simulate
            </Button>
          </Group>
          <ProblemAlert
            problem={simulate.error}
            fields={['user_id', 'resource_id', 'ip', 'path', 'method', 'at']}
          />
        </Stack>
      </Paper>
      {result && (
        <Alert
          data-testid="simulation"
          color={result.allowed ? 'teal' : 'red'}
          title={
            result.allowed
              ? `Allowed to reach ${resourceName(result.resource_id)}`
              : `Refused at ${resourceName(result.resource_id)}`
          }
        >
          <Stack gap={4}>
            <Text size="sm">
              Decided by:{' '}
              {result.decided_by ? (
                <Anchor component={Link} to={`/policies/${result.decided_by.policy_id}`}>
                  {result.decided_by.name} ({result.decided_by.effect})
                </Anchor>
              ) : (
                'no policy matched'
              )}
            </Text>
            <Text size="sm">{result.reason}</Text>
            <Text size="xs" c="dimmed">
              {result.evaluated} policies evaluated.
            </Text>
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}
