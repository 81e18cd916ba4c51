import { Button, Group, Paper, Select, Stack, Table, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { ListTable } from '../ui/list-table';
import { EmptyState, PageHeader, ProblemAlert, ShownOnce, when } from '../ui/parts';

type Role = 'owner' | 'admin' | 'member';

export function ApiKeysPage() {
  const queries = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => answer(api.GET('/api/v1/api-keys')) });
  const [form, setForm] = useState({ name: '', role: 'member' as Role });
  const create = useMutation({
    mutationFn: () => answer(api.POST('/api/v1/api-keys', { body: form })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => answer(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const errors = fieldErrors(create.error);
  const items = keys.data ? ('items' in keys.data ? keys.data.items : keys.data) : [];
  return (
    <Stack>
      <PageHeader title="API keys" />
      <Paper
        withBorder
        p="md"
        component="form"
        aria-label="New API key"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Group align="flex-start">
          <TextInput
            label="Name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
            error={errors['name']}
          />
          <Select
            label="Role"
            data={['member', 'admin', 'owner']}
            value={form.role}
            onChange={(v) => setForm({ ...form, role: (v ?? 'member') as Role })}
            allowDeselect={false}
          />
          <Button mt={25} type="submit" loading={create.isPending}>
            Create key
          </Button>
        </Group>
        <ProblemAlert problem={create.error ?? revoke.error} fields={['name', 'role']} />
      </Paper>
      {create.data && <ShownOnce title="API key" value={create.data.key} />}
      <ListTable
        label="API keys"
        columns={['Name', 'Role', 'Created', 'Expires', 'Actions']}
        isEmpty={keys.isSuccess && !items.length}
        empty={
          <EmptyState title="No API keys">
            Keys let the CLI and automation call the API: `rustronaut login --api-key …`.
          </EmptyState>
        }
      >
        {items.map((k) => (
          <Table.Tr key={k.id}>
            <Table.Td>{k.name}</Table.Td>
            <Table.Td>{k.role}</Table.Td>
            <Table.Td>{when(k.created_at)}</Table.Td>
            <Table.Td>{k.revoked_at ? `revoked ${when(k.revoked_at)}` : when(k.expires_at)}</Table.Td>
            <Table.Td>
              {!k.revoked_at && (
                <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(k.id)}>
                  Revoke
                </Button>
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
    </Stack>
  );
}
