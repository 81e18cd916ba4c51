import { Button, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { ConfirmButton } from '../ui/confirm-button';
import { ProblemAlert, when } from '../ui/parts';

/** Registers a passkey: the API's options, this device's authenticator, the answer back under a name. */
async function registerPasskey(name: string) {
  const optionsJSON = await answer(api.POST('/api/v1/me/passkeys/options', { body: {} }));
  const { startRegistration } = await import('@simplewebauthn/browser');
  const response = await startRegistration({
    optionsJSON: optionsJSON as unknown as Parameters<typeof startRegistration>[0]['optionsJSON'],
  });
  return answer(
    api.POST('/api/v1/me/passkeys', {
      body: { name, response: response as unknown as Record<string, unknown> },
    }),
  );
}

/** Your passkeys: add one from this device (then sign in without a password), remove one. */
export function PasskeysCard() {
  const queries = useQueryClient();
  const passkeys = useQuery({
    queryKey: ['passkeys'],
    queryFn: () => answer(api.GET('/api/v1/me/passkeys')),
  });
  const [name, setName] = useState('');
  const refresh = () => queries.invalidateQueries({ queryKey: ['passkeys'] });
  const add = useMutation({
    mutationFn: () => registerPasskey(name),
    onSuccess: async () => {
      setName('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => answer(api.DELETE('/api/v1/me/passkeys/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const items = passkeys.data?.items ?? [];
  return (
    <Paper withBorder p="md">
      <Title order={2} size="h4" mb="xs">
        Passkeys
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Sign in with this device&apos;s fingerprint, face or security key instead of a password.
      </Text>
      <Stack>
        {items.length > 0 && (
          <Table aria-label="Your passkeys">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Added</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td>{p.name}</Table.Td>
                  <Table.Td>{when(p.created_at)}</Table.Td>
                  <Table.Td>{p.last_used_at ? when(p.last_used_at) : 'never'}</Table.Td>
                  <Table.Td>
                    <ConfirmButton label="Remove" subject={p.name} onConfirm={() => remove.mutate(p.id)} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group
          component="form"
          align="flex-end"
          aria-label="Add a passkey"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            add.mutate();
          }}
        >
          <TextInput
            label="Passkey name"
            placeholder="Work laptop"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldErrors(add.error)['name']}
          />
          <Button type="submit" loading={add.isPending}>
            Add a passkey
          </Button>
        </Group>
        <ProblemAlert problem={add.error ?? remove.error} fields={['name']} />
      </Stack>
    </Paper>
  );
}
