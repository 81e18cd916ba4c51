import {
  Anchor,
  Badge,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Answer } from '@rustronaut/api-client';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import { answer, errorsUnder, fieldErrors } from '../api/problems';
import {
  newFirewallRule,
  newTarget,
  resourceBody,
  resourceForm,
  resourcePatch,
  targetBody,
  type ResourceForm,
  type TargetForm,
} from '../forms/resource-form';
import { targetHealth, type TargetSeen } from '../gateways/runtime';
import { ListTable } from '../ui/list-table';
import { Copyable, EmptyState, PageHeader, ProblemAlert, ShownOnce, when } from '../ui/parts';
import { AddRow, RemoveRow, replaced, without } from '../ui/rows';
import { statusColor, useLiveGateways } from './gateways';
import { useSites } from './sites';
import { TokenIssuers } from './token-issuers';

type Resource = Answer<'/api/v1/resources/{id}', 'get'>;

export const useResources = () =>
  useQuery({
    queryKey: ['resources'],
    queryFn: () => answer(api.GET('/api/v1/resources', { params: { query: { limit: 500 } } })),
  });

export function ResourcesPage() {
  const resources = useResources();
  const sites = useSites();
  const siteName = (id: string) => sites.data?.items.find((s) => s.id === id)?.name ?? id;
  const items = resources.data?.items ?? [];
  return (
    <Stack>
      <PageHeader title="Resources">
        <Button component={Link} to="/resources/new">
          New resource
        </Button>
      </PageHeader>
      <ListTable
        label="Resources"
        columns={['Name', 'Protocol', 'Reached at', 'Site', 'Targets', 'Sign-in']}
        isEmpty={resources.isSuccess && !items.length}
        highlightOnHover
        empty={
          <EmptyState title="No resources yet">
            A resource is a service of a site that people reach through the gateways: a web app by its domain,
            or a TCP/UDP port. Create one with its targets, then a policy that lets people in.
          </EmptyState>
        }
      >
        {items.map((r) => (
          <Table.Tr key={r.id}>
            <Table.Td>
              <Anchor component={Link} to={`/resources/${r.id}`}>
                {r.name}
              </Anchor>
            </Table.Td>
            <Table.Td>{r.protocol.toUpperCase()}</Table.Td>
            <Table.Td>
              {r.protocol === 'http' ? r.domains.join(', ') : `port ${r.public_port ?? '—'}`}
            </Table.Td>
            <Table.Td>{siteName(r.site_id)}</Table.Td>
            <Table.Td>{r.targets.length}</Table.Td>
            <Table.Td>
              {r.auth_required ? r.auth_methods.join(', ') : <Badge color="gray.7">public</Badge>}
            </Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
    </Stack>
  );
}

/** The first error of a field or of anything under it (`headers` covers `headers.1.pattern`). */
const firstError = (errors: Record<string, string>, field: string): string | undefined =>
  Object.entries(errors).find(([f]) => f === field || f.startsWith(`${field}.`))?.[1];

const RESOURCE_FIELDS = [
  'site_id',
  'name',
  'protocol',
  'domains',
  'public_port',
  'path_prefix',
  'auth_methods',
  'load_balancing',
  'rate_limit',
  'firewall_rules',
  'targets',
];

export function ResourceEditPage() {
  const { id = 'new' } = useParams();
  const resource = useQuery({
    queryKey: ['resource', id],
    enabled: id !== 'new',
    queryFn: () => answer(api.GET('/api/v1/resources/{id}', { params: { path: { id } } })),
  });
  if (id !== 'new' && !resource.data)
    return <Text c="dimmed">{resource.error ? resource.error.message : 'Loading…'}</Text>;
  return (
    <Stack>
      <PageHeader title={resource.data ? resource.data.name : 'New resource'} />
      <ResourceEditor key={`${id}:${resource.data?.version ?? 0}`} resource={resource.data} />
      {resource.data && <ResourceExtras resource={resource.data} />}
      {resource.data?.protocol === 'http' && (
        <TokenIssuers resourceId={resource.data.id} authRequired={resource.data.auth_required} />
      )}
    </Stack>
  );
}

function TargetFields({
  target,
  errors,
  onChange,
  onRemove,
  index,
}: {
  target: TargetForm;
  errors: Record<string, string>;
  onChange: (t: TargetForm) => void;
  onRemove: () => void;
  index: number;
}) {
  const set = <K extends keyof TargetForm>(key: K, value: TargetForm[K]) =>
    onChange({ ...target, [key]: value });
  return (
    <Group align="flex-start" wrap="wrap">
      <TextInput
        label={`Target ${index + 1} address`}
        placeholder="10.1.0.100:80"
        value={target.address}
        onChange={(e) => set('address', e.currentTarget.value)}
        error={errors['address']}
        required
      />
      <Select
        label="Protocol"
        w={110}
        data={['http', 'https', 'tcp', 'udp']}
        value={target.protocol}
        onChange={(v) => set('protocol', (v ?? 'http') as TargetForm['protocol'])}
        error={errors['protocol']}
        allowDeselect={false}
      />
      <TextInput
        label="Weight"
        w={80}
        value={target.weight}
        onChange={(e) => set('weight', e.currentTarget.value)}
        error={errors['weight']}
      />
      <TextInput
        label="Region"
        w={120}
        value={target.region}
        onChange={(e) => set('region', e.currentTarget.value)}
        error={errors['region']}
      />
      <Select
        label="Health check"
        w={130}
        data={[
          { value: 'none', label: 'None' },
          { value: 'http', label: 'HTTP' },
          { value: 'tcp', label: 'TCP' },
        ]}
        value={target.health}
        onChange={(v) => set('health', (v ?? 'none') as TargetForm['health'])}
        allowDeselect={false}
      />
      {target.health === 'http' && (
        <TextInput
          label="Check path"
          w={120}
          value={target.healthPath}
          onChange={(e) => set('healthPath', e.currentTarget.value)}
          error={errors['health_check.path']}
        />
      )}
      <RemoveRow label={`Remove target ${index + 1}`} onClick={onRemove} />
    </Group>
  );
}

function ResourceEditor({ resource }: { resource?: Resource }) {
  const sites = useSites();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [form, setForm] = useState<ResourceForm>(() => resourceForm(resource, sites.data?.items[0]?.id));
  const save = useMutation({
    mutationFn: async () =>
      resource
        ? answer(
            api.PATCH('/api/v1/resources/{id}', {
              params: { path: { id: resource.id } },
              headers: { 'if-match': `"${resource.version}"` },
              body: resourcePatch(form),
            }),
          )
        : answer(api.POST('/api/v1/resources', { body: resourceBody(form) })),
    onSuccess: async (saved) => {
      await queries.invalidateQueries({ queryKey: ['resources'] });
      await queries.invalidateQueries({ queryKey: ['resource', saved.id] });
      if (!resource) void navigate(`/resources/${saved.id}`);
    },
  });
  const errors = fieldErrors(save.error);
  const set = <K extends keyof ResourceForm>(key: K, value: ResourceForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const http = form.protocol === 'http';
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Resource">
      <Stack>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Select
            label="Site"
            required
            disabled={!!resource}
            data={(sites.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
            value={form.siteId || null}
            onChange={(v) => set('siteId', v ?? '')}
            error={errors['site_id']}
          />
          <TextInput
            label="Name"
            required
            value={form.name}
            onChange={(e) => set('name', e.currentTarget.value)}
            error={errors['name']}
          />
          <div>
            <Text size="sm" fw={500} id="protocol-label">
              Protocol
            </Text>
            <SegmentedControl
              aria-labelledby="protocol-label"
              disabled={!!resource}
              data={[
                { value: 'http', label: 'HTTP' },
                { value: 'tcp', label: 'TCP' },
                { value: 'udp', label: 'UDP' },
              ]}
              value={form.protocol}
              onChange={(v) => set('protocol', v as ResourceForm['protocol'])}
            />
          </div>
          {http ? (
            <TextInput
              label="Domains"
              description="Comma-separated; *.example.com for a wildcard"
              value={form.domains}
              onChange={(e) => set('domains', e.currentTarget.value)}
              error={
                errors['domains'] ?? Object.entries(errorsUnder(errors, 'domains.')).map(([, m]) => m)[0]
              }
            />
          ) : (
            <TextInput
              label="Public port"
              description="The gateway's port for this resource"
              value={form.publicPort}
              onChange={(e) => set('publicPort', e.currentTarget.value)}
              error={errors['public_port']}
            />
          )}
          {http && (
            <TextInput
              label="Path prefix"
              placeholder="/ (the whole domain)"
              value={form.pathPrefix}
              onChange={(e) => set('pathPrefix', e.currentTarget.value)}
              error={errors['path_prefix']}
            />
          )}
          <Select
            label="Load balancing"
            data={[
              { value: 'round_robin', label: 'Round robin' },
              { value: 'weighted', label: 'Weighted' },
              { value: 'least_connections', label: 'Least connections' },
              { value: 'region_aware', label: 'Region-aware' },
            ]}
            value={form.loadBalancing}
            onChange={(v) => set('loadBalancing', (v ?? 'round_robin') as ResourceForm['loadBalancing'])}
            error={errors['load_balancing']}
            allowDeselect={false}
          />
        </SimpleGrid>
        <Fieldset legend="Who may come in">
          <Stack>
            <Switch
              label="Require sign-in (policies decide who gets in)"
              checked={form.authRequired}
              onChange={(e) => set('authRequired', e.currentTarget.checked)}
            />
            {form.authRequired && (
              <Checkbox.Group
                label="Ways in"
                value={form.authMethods}
                onChange={(v) => set('authMethods', v as ResourceForm['authMethods'])}
                error={errors['auth_methods']}
              >
                <Group mt="xs">
                  <Checkbox value="sso" label="Console sign-in" />
                  <Checkbox value="pin" label="PIN" />
                  <Checkbox value="password" label="Password" />
                  <Checkbox value="share_link" label="Share links" />
                </Group>
              </Checkbox.Group>
            )}
            {http && (
              <Switch
                label="Challenge requests that look automated"
                checked={form.botChallenge}
                onChange={(e) => set('botChallenge', e.currentTarget.checked)}
              />
            )}
          </Stack>
        </Fieldset>
        {!resource && (
          <Fieldset legend="Targets">
            <Stack>
              {form.targets.map((t, i) => (
                <TargetFields
                  key={i}
                  index={i}
                  target={t}
                  errors={errorsUnder(errors, `targets.${i}.`)}
                  onChange={(next) => set('targets', replaced(form.targets, i, next))}
                  onRemove={() => set('targets', without(form.targets, i))}
                />
              ))}
              <AddRow
                label="Add target"
                onClick={() => set('targets', [...form.targets, newTarget(form.protocol)])}
              />
            </Stack>
          </Fieldset>
        )}
        <Fieldset legend="Firewall rules and rate limit">
          <Stack>
            {form.firewallRules.map((rule, i) => {
              const ruleErrors = errorsUnder(errors, `firewall_rules.${i}.`);
              const change = (next: Partial<typeof rule>) =>
                set('firewallRules', replaced(form.firewallRules, i, { ...rule, ...next }));
              return (
                <Group key={i} align="flex-start">
                  <Select
                    label={`Rule ${i + 1}`}
                    w={100}
                    data={['allow', 'deny']}
                    value={rule.action}
                    onChange={(v) => change({ action: (v ?? 'deny') as 'allow' | 'deny' })}
                    allowDeselect={false}
                  />
                  <TextInput
                    label="CIDRs"
                    value={rule.cidrs}
                    onChange={(e) => change({ cidrs: e.currentTarget.value })}
                    error={firstError(ruleErrors, 'cidrs')}
                  />
                  <TextInput
                    label="Countries"
                    w={120}
                    value={rule.countries}
                    onChange={(e) => change({ countries: e.currentTarget.value })}
                    error={firstError(ruleErrors, 'countries')}
                  />
                  <TextInput
                    label="Paths"
                    value={rule.paths}
                    onChange={(e) => change({ paths: e.currentTarget.value })}
                    error={firstError(ruleErrors, 'paths')}
                  />
                  <Textarea
                    label="Headers"
                    description="Name: pattern, one a line"
                    placeholder="X-Api-Client: ^internal-"
                    autosize
                    minRows={1}
                    value={rule.headers}
                    onChange={(e) => change({ headers: e.currentTarget.value })}
                    error={firstError(ruleErrors, 'headers')}
                  />
                  <Textarea
                    label="User agents"
                    description="Substrings or /regex/, one a line"
                    placeholder="curl"
                    autosize
                    minRows={1}
                    value={rule.userAgents}
                    onChange={(e) => change({ userAgents: e.currentTarget.value })}
                    error={firstError(ruleErrors, 'user_agents')}
                  />
                  <RemoveRow
                    label={`Remove rule ${i + 1}`}
                    onClick={() => set('firewallRules', without(form.firewallRules, i))}
                  />
                </Group>
              );
            })}
            <AddRow
              label="Add firewall rule"
              onClick={() => set('firewallRules', [...form.firewallRules, newFirewallRule()])}
            />
            <Switch
              label="Rate limit"
              checked={form.rateLimit.enabled}
              onChange={(e) => set('rateLimit', { ...form.rateLimit, enabled: e.currentTarget.checked })}
            />
            {form.rateLimit.enabled && (
              <Group>
                <TextInput
                  label="Requests per minute"
                  value={form.rateLimit.requestsPerMinute}
                  onChange={(e) =>
                    set('rateLimit', { ...form.rateLimit, requestsPerMinute: e.currentTarget.value })
                  }
                  error={errors['rate_limit.requests_per_minute']}
                />
                <TextInput
                  label="Burst"
                  value={form.rateLimit.burst}
                  onChange={(e) => set('rateLimit', { ...form.rateLimit, burst: e.currentTarget.value })}
                  error={errors['rate_limit.burst']}
                />
                <Select
                  label="Per"
                  data={['ip', 'user', 'resource']}
                  value={form.rateLimit.per}
                  onChange={(v) => set('rateLimit', { ...form.rateLimit, per: (v ?? 'ip') as 'ip' })}
                  allowDeselect={false}
                />
              </Group>
            )}
          </Stack>
        </Fieldset>
        <ProblemAlert
          problem={save.error}
          fields={RESOURCE_FIELDS}
          onReload={() => void queries.invalidateQueries({ queryKey: ['resource', resource?.id] })}
        />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {resource ? 'Save' : 'Create resource'}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

/** An existing resource's targets (added and removed one by one), DNS records and ways in. */
function ResourceExtras({ resource }: { resource: Resource }) {
  const queries = useQueryClient();
  const refresh = () => queries.invalidateQueries({ queryKey: ['resource', resource.id] });
  const [target, setTarget] = useState<TargetForm>(newTarget(resource.protocol));
  const [pin, setPin] = useState<string | number>('');
  // Each target's health as the gateways report it, followed live (server-sent events).
  const health = targetHealth(useLiveGateways().data?.items ?? [], resource.id);
  const dns = useQuery({
    queryKey: ['dns', resource.id],
    queryFn: () => answer(api.GET('/api/v1/resources/{id}/dns', { params: { path: { id: resource.id } } })),
  });
  const add = useMutation({
    mutationFn: () =>
      answer(
        api.POST('/api/v1/resources/{id}/targets', {
          params: { path: { id: resource.id } },
          body: targetBody(target),
        }),
      ),
    onSuccess: async () => {
      setTarget(newTarget(resource.protocol));
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (targetId: string) =>
      answer(
        api.DELETE('/api/v1/resources/{id}/targets/{targetId}', {
          params: { path: { id: resource.id, targetId } },
        }),
      ),
    onSuccess: refresh,
  });
  const setPinCode = useMutation({
    mutationFn: () =>
      answer(
        api.PUT('/api/v1/resources/{id}/pin', {
          params: { path: { id: resource.id } },
          body: { pin: String(pin) },
        }),
      ),
    onSuccess: refresh,
  });
  const share = useMutation({
    mutationFn: () =>
      answer(
        api.POST('/api/v1/resources/{id}/share-links', {
          params: { path: { id: resource.id } },
          body: { expires_in_s: 86400 },
        }),
      ),
  });
  return (
    <>
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Targets
        </Title>
        {!resource.targets.length && (
          <Text c="dimmed" size="sm" mb="sm">
            No targets: the gateway answers 502 until you add one.
          </Text>
        )}
        <Stack gap="xs" mb="md">
          {resource.targets.map((t) => (
            <Group key={t.id} justify="space-between">
              <Group gap="xs" data-testid={`target-${t.address}`}>
                <Text size="sm">
                  {t.protocol}://{t.address} · weight {t.weight}
                  {t.region ? ` · ${t.region}` : ''}
                  {t.health_check ? ` · ${t.health_check.kind} check` : ''}
                </Text>
                <TargetHealth seen={health.get(t.id)} />
              </Group>
              <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(t.id)}>
                Remove
              </Button>
            </Group>
          ))}
        </Stack>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate();
          }}
          aria-label="Add a target"
        >
          <TargetFields
            index={resource.targets.length}
            target={target}
            errors={fieldErrors(add.error)}
            onChange={setTarget}
            onRemove={() => setTarget(newTarget(resource.protocol))}
          />
          <Button mt="sm" size="xs" type="submit" loading={add.isPending}>
            Add target
          </Button>
        </form>
        <ProblemAlert
          problem={add.error ?? remove.error}
          fields={['address', 'protocol', 'weight', 'region', 'health_check']}
        />
      </Paper>
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          DNS records to create
        </Title>
        {dns.data?.records.length ? (
          <Stack gap="xs">
            {dns.data.records.map((r) => (
              <Copyable
                key={`${r.type}${r.name}${r.value}`}
                label={`${r.type} record for ${r.name}`}
                value={`${r.name} ${r.type} ${r.value}`}
              />
            ))}
          </Stack>
        ) : (
          <Text c="dimmed" size="sm">
            {dns.error
              ? dns.error.message
              : 'No records: no gateway with a public address serves this site yet.'}
          </Text>
        )}
        {dns.data?.notes.map((n) => (
          <Text key={n} size="sm" c="dimmed">
            {n}
          </Text>
        ))}
      </Paper>
      {resource.auth_required && (
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="sm">
            PIN and share links
          </Title>
          <Group align="flex-end">
            <NumberInput
              label="PIN (4 to 12 digits)"
              value={pin}
              onChange={setPin}
              hideControls
              error={fieldErrors(setPinCode.error)['pin']}
            />
            <Button variant="light" onClick={() => setPinCode.mutate()}>
              Set PIN
            </Button>
            <Button variant="light" onClick={() => share.mutate()}>
              New share link (1 day)
            </Button>
          </Group>
          {share.data && <ShownOnce title="Share link" value={share.data.url ?? share.data.path} />}
          <ProblemAlert
            problem={share.error ?? (fieldErrors(setPinCode.error)['pin'] ? undefined : setPinCode.error)}
          />
        </Paper>
      )}
    </>
  );
}

/** A target's health as each gateway serving it reports it (live), or that none reported it yet. */
function TargetHealth({ seen }: { seen: TargetSeen[] | undefined }) {
  if (!seen?.length)
    return (
      <Text size="xs" c="dimmed">
        no gateway reported it yet
      </Text>
    );
  return (
    <>
      {seen.map((s) => (
        <Badge
          key={s.gateway}
          color={statusColor(s.state)}
          title={s.last_check ? `${s.last_check.detail} at ${when(s.last_check.at)}` : undefined}
        >
          {s.gateway}: {s.state}
          {s.last_check && !s.last_check.ok ? ` (${s.last_check.detail})` : ''}
        </Badge>
      ))}
    </>
  );
}
