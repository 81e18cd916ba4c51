import {
  Badge,
  Button,
  Group,
  MultiSelect,
  Paper,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { EmptyState, PageHeader, ProblemAlert } from '../ui/parts';
import { useGroups, useUsers } from './directory';

type Role = 'owner' | 'admin' | 'member';

function NewUser() {
  const queries = useQueryClient();
  const [form, setForm] = useState({ email: '', name: '', password: '', role: 'member' as Role });
  const create = useMutation({
    mutationFn: () => answer(api.POST('/api/v1/users', { body: form })),
    onSuccess: async () => {
      setForm({ email: '', name: '', password: '', role: 'member' });
      await queries.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const errors = fieldErrors(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="New user">
      <Title order={2} size="h4" mb="sm">
        New user
      </Title>
      <SimpleGrid cols={{ base: 1, md: 4 }}>
        <TextInput
          label="Email"
          required
          value={form.email}
          onChange={(e) => setForm({ ...form, email: e.currentTarget.value })}
          error={errors['email']}
        />
        <TextInput
          label="Name"
          required
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
          error={errors['name']}
        />
        <PasswordInput
          label="Password"
          required
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.currentTarget.value })}
          error={errors['password']}
        />
        <Select
          label="Role"
          data={['member', 'admin', 'owner']}
          value={form.role}
          onChange={(v) => setForm({ ...form, role: (v ?? 'member') as Role })}
          allowDeselect={false}
        />
      </SimpleGrid>
      <ProblemAlert problem={create.error} fields={Object.keys(form)} />
      <Button mt="sm" type="submit" loading={create.isPending}>
        Create user
      </Button>
    </Paper>
  );
}

function Groups() {
  const groups = useGroups();
  const users = useUsers();
  const queries = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => answer(api.POST('/api/v1/groups', { body: { name } })),
    onSuccess: async () => {
      setName('');
      await queries.invalidateQueries({ queryKey: ['groups'] });
    },
  });
  const setMembers = useMutation({
    mutationFn: async ({ id, before, after }: { id: string; before: string[]; after: string[] }) => {
      for (const user_id of after.filter((u) => !before.includes(u)))
        await answer(
          api.POST('/api/v1/groups/{id}/members', { params: { path: { id } }, body: { user_id } }),
        );
      for (const userId of before.filter((u) => !after.includes(u)))
        await answer(
          api.DELETE('/api/v1/groups/{id}/members/{userId}', { params: { path: { id, userId } } }),
        );
    },
    onSettled: () => queries.invalidateQueries({ queryKey: ['groups'] }),
  });
  const userOptions = (users.data?.items ?? []).map((u) => ({ value: u.id, label: u.email }));
  return (
    <Stack>
      <Title order={2} size="h4">
        Groups
      </Title>
      <Group
        component="form"
        align="flex-end"
        aria-label="New group"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <TextInput
          label="New group"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldErrors(create.error)['name']}
        />
        <Button type="submit">Create group</Button>
      </Group>
      <ProblemAlert
        problem={setMembers.error ?? (fieldErrors(create.error)['name'] ? undefined : create.error)}
      />
      {(groups.data?.items ?? []).map((g) => (
        <MultiSelect
          key={g.id}
          label={`Members of ${g.name}`}
          data={userOptions}
          value={g.members}
          onChange={(after) => setMembers.mutate({ id: g.id, before: g.members, after })}
          searchable
        />
      ))}
    </Stack>
  );
}

export function UsersPage() {
  const users = useUsers();
  const items = users.data?.items ?? [];
  return (
    <Stack>
      <PageHeader title="Users & groups" />
      <NewUser />
      {users.isSuccess && !items.length ? (
        <EmptyState title="No users">Create the people who will reach your resources.</EmptyState>
      ) : (
        <Table striped aria-label="Users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Email</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Two-factor</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>{u.name}</Table.Td>
                <Table.Td>{u.role}</Table.Td>
                <Table.Td>
                  {u.totp_enabled ? <Badge color="teal.9">on</Badge> : <Badge color="gray.7">off</Badge>}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Groups />
    </Stack>
  );
}
