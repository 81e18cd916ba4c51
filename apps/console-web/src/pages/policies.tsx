import {
  Anchor,
  Badge,
  Button,
  Checkbox,
  Fieldset,
  Group,
  MultiSelect,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Answer } from '@rustronaut/api-client';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import { answer, errorsUnder, fieldErrors } from '../api/problems';
import {
  DAYS,
  describePolicy,
  newTimeWindow,
  newTokenSubject,
  policyBody,
  policyForm,
  type PolicyForm,
  type Role,
} from '../policies/policy-form';
import { ListTable } from '../ui/list-table';
import { EmptyState, PageHeader, ProblemAlert } from '../ui/parts';
import { AddRow, RemoveRow, replaced, without } from '../ui/rows';
import { useGroups, usePolicies, useUsers } from './directory';
import { useResources } from './resources';
import { useTokenIssuersOf } from './token-issuers';

type Policy = Answer<'/api/v1/policies/{id}', 'get'>;

/**
 * Names of users, groups, resources and the trusted token issuers of `issuersOf` (resource ids) by
 * id, for readable policies.
 */
function useNames(issuersOf: readonly string[] = []) {
  const users = useUsers();
  const groups = useGroups();
  const resources = useResources();
  const issuers = useTokenIssuersOf(issuersOf);
  const names = new Map<string, string>();
  for (const i of issuers) names.set(i.id, i.name);
  for (const u of users.data?.items ?? []) names.set(u.id, u.email);
  for (const g of groups.data?.items ?? []) names.set(g.id, g.name);
  for (const r of resources.data?.items ?? []) names.set(r.id, r.name);
  return {
    name: (id: string) => names.get(id) ?? id,
    users: (users.data?.items ?? []).map((u) => ({ value: u.id, label: u.email })),
    groups: (groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name })),
    resources: (resources.data?.items ?? []).map((r) => ({ value: r.id, label: r.name })),
    issuers: issuers.map((i) => ({
      value: i.id,
      label: `${i.name} (${i.issuer}) at ${names.get(i.resource_id) ?? i.resource_id}`,
    })),
  };
}

export function PoliciesPage() {
  const policies = usePolicies();
  const items = policies.data?.items ?? [];
  // The issuers' names, read only for the resources of policies that name tokens.
  const { name } = useNames([
    ...new Set(items.filter((p) => p.subjects.tokens?.length).flatMap((p) => p.resource_ids)),
  ]);
  return (
    <Stack>
      <PageHeader title="Policies">
        <Button component={Link} to="/simulator" variant="default">
          Simulator
        </Button>
        <Button component={Link} to="/policies/new">
          New policy
        </Button>
      </PageHeader>
      <Text size="sm" c="dimmed">
        Deny wins over allow; with no matching allow, nobody gets in.
      </Text>
      <ListTable
        label="Policies"
        columns={['Name', 'Effect', 'In words']}
        isEmpty={policies.isSuccess && !items.length}
        highlightOnHover
        empty={
          <EmptyState title="No policies yet">
            Resources that require sign-in let nobody in until a policy allows it. Create one that names who
            may reach which resources.
          </EmptyState>
        }
      >
        {items.map((p) => (
          <Table.Tr key={p.id}>
            <Table.Td>
              <Anchor component={Link} to={`/policies/${p.id}`}>
                {p.name}
              </Anchor>
            </Table.Td>
            <Table.Td>
              <Badge color={p.effect === 'allow' ? 'teal.9' : 'red.9'}>{p.effect}</Badge>
            </Table.Td>
            <Table.Td>{describePolicy(policyForm(p), name)}</Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
    </Stack>
  );
}

export function PolicyEditPage() {
  const { id = 'new' } = useParams();
  const policy = useQuery({
    queryKey: ['policy', id],
    enabled: id !== 'new',
    queryFn: () => answer(api.GET('/api/v1/policies/{id}', { params: { path: { id } } })),
  });
  if (id !== 'new' && !policy.data)
    return <Text c="dimmed">{policy.error ? policy.error.message : 'Loading…'}</Text>;
  return (
    <Stack>
      <PageHeader title={policy.data ? policy.data.name : 'New policy'} />
      <PolicyEditor key={`${id}:${policy.data?.version ?? 0}`} policy={policy.data} />
    </Stack>
  );
}

const POLICY_FIELDS = ['name', 'effect', 'resource_ids', 'subjects', 'conditions'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function PolicyEditor({ policy }: { policy?: Policy }) {
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [form, setForm] = useState<PolicyForm>(() => policyForm(policy));
  const names = useNames(form.resourceIds);
  const save = useMutation({
    mutationFn: () =>
      policy
        ? answer(
            api.PATCH('/api/v1/policies/{id}', {
              params: { path: { id: policy.id } },
              headers: { 'if-match': `"${policy.version}"` },
              body: policyBody(form),
            }),
          )
        : answer(api.POST('/api/v1/policies', { body: policyBody(form) })),
    onSuccess: async (saved) => {
      await queries.invalidateQueries({ queryKey: ['policies'] });
      await queries.invalidateQueries({ queryKey: ['policy', saved.id] });
      if (!policy) void navigate(`/policies/${saved.id}`);
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      answer(
        api.DELETE('/api/v1/policies/{id}', {
          params: { path: { id: policy!.id } },
          headers: { 'if-match': `"${policy!.version}"` },
        }),
      ),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['policies'] });
      void navigate('/policies');
    },
  });
  const errors = fieldErrors(save.error);
  const set = <K extends keyof PolicyForm>(key: K, value: PolicyForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const firstUnder = (prefix: string) =>
    errors[prefix] ?? Object.values(errorsUnder(errors, `${prefix}.`))[0];
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Policy">
      <Stack>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <TextInput
            label="Name"
            required
            value={form.name}
            onChange={(e) => set('name', e.currentTarget.value)}
            error={errors['name']}
          />
          <div>
            <Text size="sm" fw={500} id="effect-label">
              Effect
            </Text>
            <SegmentedControl
              aria-labelledby="effect-label"
              data={[
                { value: 'allow', label: 'Allow' },
                { value: 'deny', label: 'Deny' },
              ]}
              value={form.effect}
              onChange={(v) => set('effect', v as PolicyForm['effect'])}
            />
          </div>
        </SimpleGrid>
        <MultiSelect
          label="Resources"
          description="None chosen: every resource of the organisation"
          data={names.resources}
          value={form.resourceIds}
          onChange={(v) => set('resourceIds', v)}
          error={firstUnder('resource_ids')}
          searchable
        />
        <Fieldset legend="Who">
          <Stack>
            <Switch
              label="Anyone signed in"
              checked={form.anyAuthenticated}
              onChange={(e) => set('anyAuthenticated', e.currentTarget.checked)}
            />
            <MultiSelect
              label="Users"
              data={names.users}
              value={form.users}
              onChange={(v) => set('users', v)}
              error={firstUnder('subjects.users')}
              searchable
            />
            <MultiSelect
              label="Groups"
              data={names.groups}
              value={form.groups}
              onChange={(v) => set('groups', v)}
              error={firstUnder('subjects.groups')}
              searchable
            />
            <Checkbox.Group
              label="Roles"
              value={form.roles}
              onChange={(v) => set('roles', v as Role[])}
              error={firstUnder('subjects.roles')}
            >
              <Group mt="xs">
                <Checkbox value="owner" label="Owners" />
                <Checkbox value="admin" label="Admins" />
                <Checkbox value="member" label="Members" />
              </Group>
            </Checkbox.Group>
            {form.tokens.map((t, i) => {
              const change = (next: Partial<typeof t>) =>
                set('tokens', replaced(form.tokens, i, { ...t, ...next }));
              const tokenErrors = errorsUnder(errors, `subjects.tokens.${i}.`);
              // A stored issuer not among the chosen resources' ones stays pickable (by its id).
              const options =
                names.issuers.some((o) => o.value === t.issuerId) || !t.issuerId
                  ? names.issuers
                  : [...names.issuers, { value: t.issuerId, label: t.issuerId }];
              return (
                <Group key={i} align="flex-start">
                  <Select
                    label={`Token issuer ${i + 1}`}
                    w={320}
                    data={options}
                    value={t.issuerId || null}
                    onChange={(v) => change({ issuerId: v ?? '' })}
                    error={tokenErrors['issuer_id'] ?? errors[`subjects.tokens.${i}`]}
                    allowDeselect={false}
                  />
                  <TextInput
                    label="Subjects (sub)"
                    description="Comma-separated; none: any token of this issuer"
                    value={t.subs}
                    onChange={(e) => change({ subs: e.currentTarget.value })}
                    error={tokenErrors['subs'] ?? Object.values(errorsUnder(tokenErrors, 'subs.'))[0]}
                  />
                  <RemoveRow
                    label={`Remove token issuer ${i + 1}`}
                    onClick={() => set('tokens', without(form.tokens, i))}
                  />
                </Group>
              );
            })}
            {names.issuers.length ? (
              <AddRow
                label="Add token issuer"
                onClick={() => set('tokens', [...form.tokens, newTokenSubject(names.issuers[0]?.value)])}
              />
            ) : (
              <Text size="sm" c="dimmed">
                {form.resourceIds.length
                  ? 'Services with their own tokens: none of these resources trusts a token issuer yet (add one on the resource’s page).'
                  : 'Services with their own tokens: choose the resources first, then one of their trusted token issuers.'}
              </Text>
            )}
          </Stack>
        </Fieldset>
        <Fieldset legend="Conditions (all must hold)">
          <Stack>
            <TextInput
              label="Source addresses"
              description="CIDRs, comma-separated, e.g. 10.0.0.0/8"
              value={form.sourceCidrs}
              onChange={(e) => set('sourceCidrs', e.currentTarget.value)}
              error={firstUnder('conditions.source_cidrs')}
            />
            <TextInput
              label="Countries"
              description="ISO codes, e.g. DE, FR"
              value={form.countries}
              onChange={(e) => set('countries', e.currentTarget.value)}
              error={firstUnder('conditions.countries')}
            />
            <TextInput
              label="Path prefixes"
              description="e.g. /admin"
              value={form.paths}
              onChange={(e) => set('paths', e.currentTarget.value)}
              error={firstUnder('conditions.paths')}
            />
            <MultiSelect
              label="Methods"
              data={METHODS}
              value={form.methods}
              onChange={(v) => set('methods', v)}
              error={firstUnder('conditions.methods')}
            />
            {form.timeWindows.map((w, i) => {
              const change = (next: Partial<typeof w>) =>
                set('timeWindows', replaced(form.timeWindows, i, { ...w, ...next }));
              const windowErrors = errorsUnder(errors, `conditions.time_windows.${i}.`);
              return (
                <Group key={i} align="flex-start">
                  <MultiSelect
                    label={`Time window ${i + 1}: days`}
                    data={[...DAYS]}
                    value={w.days}
                    onChange={(v) => change({ days: v as typeof w.days })}
                    error={windowErrors['days']}
                  />
                  <TextInput
                    label="From"
                    w={90}
                    value={w.start}
                    onChange={(e) => change({ start: e.currentTarget.value })}
                    error={windowErrors['start']}
                  />
                  <TextInput
                    label="To"
                    w={90}
                    value={w.end}
                    onChange={(e) => change({ end: e.currentTarget.value })}
                    error={windowErrors['end']}
                  />
                  <TextInput
                    label="Time zone"
                    w={160}
                    value={w.timeZone}
                    onChange={(e) => change({ timeZone: e.currentTarget.value })}
                    error={windowErrors['time_zone']}
                  />
                  <RemoveRow
                    label={`Remove time window ${i + 1}`}
                    onClick={() => set('timeWindows', without(form.timeWindows, i))}
                  />
                </Group>
              );
            })}
            <AddRow
              label="Add time window"
              onClick={() => set('timeWindows', [...form.timeWindows, newTimeWindow()])}
            />
          </Stack>
        </Fieldset>
        <Text size="sm" data-testid="policy-summary" aria-live="polite">
          {describePolicy(form, names.name)}
        </Text>
        <ProblemAlert
          problem={save.error ?? remove.error}
          fields={POLICY_FIELDS}
          onReload={() => void queries.invalidateQueries({ queryKey: ['policy', policy?.id] })}
        />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {policy ? 'Save' : 'Create policy'}
          </Button>
          {policy && (
            <Button variant="subtle" color="red" onClick={() => remove.mutate()}>
              Delete
            </Button>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}
