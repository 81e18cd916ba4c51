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
import type { Answer } from '@rustronaut/api-client';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { ConfirmButton } from '../ui/confirm-button';
import { ListTable } from '../ui/list-table';
import { EmptyState, PageHeader, ProblemAlert } from '../ui/parts';
import { useGroups, useUsers } from './directory';

type Role = 'owner' | 'admin' | 'member';
type User = Answer<'/api/v1/users/{id}', 'get'>;
type Team = Answer<'/api/v1/groups/{id}', 'get'>;
const ROLES: Role[] = ['member', 'admin', 'owner'];
const USER_FIELDS = ['email', 'name', 'password', 'role'];
interface UserForm {
  email: string;
  name: string;
  password: string;
  role: Role;
}
const ifMatch = (version: number) => ({ 'if-match': `"${version}"` });

/** The fields of a user: a new one (password required) or one being changed (a new password, if typed). */
function UserFields({
  form,
  onChange,
  errors,
  editing = false,
}: {
  form: UserForm;
  onChange: (form: UserForm) => void;
  errors: Record<string, string>;
  editing?: boolean;
}) {
  return (
    <SimpleGrid cols={{ base: 1, md: 4 }}>
      <TextInput
        label="Email"
        required={!editing}
        value={form.email}
        onChange={(e) => onChange({ ...form, email: e.currentTarget.value })}
        error={errors['email']}
      />
      <TextInput
        label="Name"
        required={!editing}
        value={form.name}
        onChange={(e) => onChange({ ...form, name: e.currentTarget.value })}
        error={errors['name']}
      />
      <PasswordInput
        label={editing ? 'New password' : 'Password'}
        required={!editing}
        {...(editing ? { description: 'Leave empty to keep it' } : {})}
        value={form.password}
        onChange={(e) => onChange({ ...form, password: e.currentTarget.value })}
        error={errors['password']}
      />
      <Select
        label="Role"
        data={ROLES}
        value={form.role}
        onChange={(v) => onChange({ ...form, role: (v ?? form.role) as Role })}
        allowDeselect={false}
        error={errors['role']}
      />
    </SimpleGrid>
  );
}

/** Changing a user in place: email, name, role, and a new password when one is typed. */
function EditUser({ user, onDone }: { user: User; onDone: () => void }) {
  const queries = useQueryClient();
  const [form, setForm] = useState({ email: user.email, name: user.name, role: user.role, password: '' });
  const save = useMutation({
    mutationFn: () => {
      const { password, ...rest } = form;
      return answer(
        api.PATCH('/api/v1/users/{id}', {
          params: { path: { id: user.id } },
          headers: ifMatch(user.version),
          body: { ...rest, ...(password ? { password } : {}) },
        }),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['users'] });
      onDone();
    },
  });
  const errors = fieldErrors(save.error);
  return (
    <Paper
      withBorder
      p="md"
      component="form"
      aria-label={`Edit ${user.email}`}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <UserFields form={form} onChange={setForm} errors={errors} editing />
      <ProblemAlert
        problem={save.error}
        fields={USER_FIELDS}
        onReload={() => void queries.invalidateQueries({ queryKey: ['users'] }).then(onDone)}
      />
      <Group mt="sm">
        <Button type="submit" loading={save.isPending}>
          Save
        </Button>
        <Button variant="default" onClick={onDone}>
          Cancel
        </Button>
      </Group>
    </Paper>
  );
}

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
      <UserFields form={form} onChange={setForm} errors={errors} />
      <ProblemAlert problem={create.error} fields={Object.keys(form)} />
      <Button mt="sm" type="submit" loading={create.isPending}>
        Create user
      </Button>
    </Paper>
  );
}

/** A row's two actions: change it (a form opens), delete it (asked twice); a refused delete says why. */
function ChangeOrDelete({
  change,
  subject,
  onChange,
  remove,
  onReload,
  children,
  problem,
}: {
  change: string;
  subject: string;
  onChange: () => void;
  remove: { mutate: () => void; isPending: boolean; error: unknown };
  onReload?: () => void;
  /** More actions of the row, and the error of theirs to show. */
  children?: ReactNode;
  problem?: unknown;
}) {
  return (
    <Stack gap={4}>
      <Group gap="xs" wrap="nowrap">
        <Button size="xs" variant="light" onClick={onChange} aria-label={`${change} ${subject}`}>
          {change}
        </Button>
        <ConfirmButton
          label="Delete"
          subject={subject}
          loading={remove.isPending}
          onConfirm={() => remove.mutate()}
        />
        {children}
      </Group>
      <ProblemAlert problem={remove.error ?? problem} {...(onReload ? { onReload } : {})} />
    </Stack>
  );
}

/** Renaming a group (in place) and deleting it (asked twice). */
function GroupActions({ group }: { group: Team }) {
  const queries = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(group.name);
  const refresh = () => queries.invalidateQueries({ queryKey: ['groups'] });
  const rename = useMutation({
    mutationFn: () =>
      answer(
        api.PATCH('/api/v1/groups/{id}', {
          params: { path: { id: group.id } },
          headers: ifMatch(group.version),
          body: { name },
        }),
      ),
    onSuccess: async () => {
      setRenaming(false);
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      answer(
        api.DELETE('/api/v1/groups/{id}', {
          params: { path: { id: group.id } },
          headers: ifMatch(group.version),
        }),
      ),
    onSuccess: refresh,
  });
  if (renaming)
    return (
      <Stack gap={4}>
        <Group
          component="form"
          align="flex-end"
          wrap="nowrap"
          aria-label={`Rename ${group.name}`}
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            rename.mutate();
          }}
        >
          <TextInput
            label={`New name of ${group.name}`}
            value={name}
            autoFocus
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldErrors(rename.error)['name']}
          />
          <Button type="submit" loading={rename.isPending}>
            Save
          </Button>
          <Button variant="default" onClick={() => setRenaming(false)}>
            Cancel
          </Button>
        </Group>
        <ProblemAlert problem={rename.error} fields={['name']} onReload={() => void refresh()} />
      </Stack>
    );
  return (
    <ChangeOrDelete
      change="Rename"
      subject={group.name}
      onChange={() => setRenaming(true)}
      remove={remove}
      onReload={() => void refresh()}
    />
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
        <Group key={g.id} align="flex-end" wrap="nowrap">
          <MultiSelect
            style={{ flex: 1 }}
            label={`Members of ${g.name}`}
            data={userOptions}
            value={g.members}
            onChange={(after) => setMembers.mutate({ id: g.id, before: g.members, after })}
            searchable
          />
          <GroupActions group={g} />
        </Group>
      ))}
    </Stack>
  );
}

function UserActions({ user, onEdit }: { user: User; onEdit: () => void }) {
  const queries = useQueryClient();
  const remove = useMutation({
    mutationFn: () =>
      answer(
        api.DELETE('/api/v1/users/{id}', {
          params: { path: { id: user.id } },
          headers: ifMatch(user.version),
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['users'] }),
  });
  // Disabled: no sign-in of any kind, sessions and API keys stop; enabled again, they sign in anew.
  const access = useMutation({
    mutationFn: () =>
      answer(
        user.disabled
          ? api.POST('/api/v1/users/{id}/enable', {
              params: { path: { id: user.id } },
              headers: ifMatch(user.version),
            })
          : api.POST('/api/v1/users/{id}/disable', {
              params: { path: { id: user.id } },
              headers: ifMatch(user.version),
            }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['users'] }),
  });
  const toggle = user.disabled ? 'Enable' : 'Disable';
  return (
    <ChangeOrDelete
      change="Edit"
      subject={user.email}
      onChange={onEdit}
      remove={remove}
      problem={access.error}
    >
      <Button
        size="xs"
        variant="subtle"
        loading={access.isPending}
        aria-label={`${toggle} ${user.email}`}
        onClick={() => access.mutate()}
      >
        {toggle}
      </Button>
    </ChangeOrDelete>
  );
}

export function UsersPage() {
  const users = useUsers();
  const items = users.data?.items ?? [];
  const [editing, setEditing] = useState<string>();
  const edited = items.find((u) => u.id === editing);
  return (
    <Stack>
      <PageHeader title="Users & groups" />
      <NewUser />
      <ListTable
        label="Users"
        columns={['Email', 'Name', 'Role', 'Two-factor', 'Actions']}
        isEmpty={users.isSuccess && !items.length}
        empty={<EmptyState title="No users">Create the people who will reach your resources.</EmptyState>}
      >
        {items.map((u) => (
          <Table.Tr key={u.id}>
            <Table.Td>{u.email}</Table.Td>
            <Table.Td>{u.name}</Table.Td>
            <Table.Td>
              {u.role}
              {u.disabled && (
                <Badge ml="xs" color="red.9">
                  disabled
                </Badge>
              )}
            </Table.Td>
            <Table.Td>
              {u.totp_enabled ? <Badge color="teal.9">on</Badge> : <Badge color="gray.7">off</Badge>}
            </Table.Td>
            <Table.Td>
              <UserActions user={u} onEdit={() => setEditing(u.id)} />
            </Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
      {edited && <EditUser key={edited.id} user={edited} onDone={() => setEditing(undefined)} />}
      <Groups />
    </Stack>
  );
}
