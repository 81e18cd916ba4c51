import {
  Badge,
  Button,
  Group,
  MultiSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Answer } from '@rustronaut/api-client';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useLive } from '../api/live';
import { answer, fieldErrors } from '../api/problems';
import { ListTable } from '../ui/list-table';
import { EmptyState, PageHeader, ProblemAlert, ShownOnce, when } from '../ui/parts';
import { useSites } from './sites';

type Gateway = Answer<'/api/v1/gateways/{id}', 'get'>;
type Created = Answer<'/api/v1/gateways', 'post'>;

/** The exact command that enrols a new gateway with this console (its token works once). */
export function enrolmentCommand(
  consoleUrl: string,
  gateway: { name: string; enrollment_token: string },
): string {
  const dir = gateway.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `node dist/apps/gateway/src/main.js --console ${consoleUrl} --enroll ${gateway.enrollment_token} --data-dir /var/lib/rustronaut-gateway/${dir}`;
}

export const useGateways = () =>
  useQuery({
    queryKey: ['gateways'],
    queryFn: () => answer(api.GET('/api/v1/gateways', { params: { query: { limit: 500 } } })),
  });

/** Gateways change as they happen (enrolled, healthy, config applied): the live view refreshes the list. */
export function useLiveGateways() {
  const queries = useQueryClient();
  useLive('/api/v1/gateways/live', 'gateway', () => {
    // The event is stored before the read model shows it: read now, and once more a moment later.
    const refresh = () => void queries.invalidateQueries({ queryKey: ['gateways'] });
    refresh();
    setTimeout(refresh, 1_500);
  });
  return useGateways();
}

export const statusColor = (status: string) =>
  status === 'healthy' ? 'teal.9' : status === 'unhealthy' ? 'red.9' : 'gray.7';

function GatewayForm({ gateway, onDone }: { gateway?: Gateway; onDone: (created?: Created) => void }) {
  const sites = useSites();
  const queries = useQueryClient();
  const [form, setForm] = useState({
    name: gateway?.name ?? '',
    region: gateway?.region ?? '',
    site_ids: gateway?.site_ids ?? [],
    public_ip: gateway?.public_ip ?? '',
    hostname: gateway?.hostname ?? '',
  });
  const body = { ...form, public_ip: form.public_ip.trim() || null, hostname: form.hostname.trim() || null };
  const save = useMutation({
    mutationFn: async () => {
      if (!gateway) return answer(api.POST('/api/v1/gateways', { body }));
      await answer(
        api.PUT('/api/v1/gateways/{id}/config', {
          params: { path: { id: gateway.id } },
          headers: { 'if-match': `"${gateway.version}"` },
          body,
        }),
      );
      return undefined;
    },
    onSuccess: async (created) => {
      await queries.invalidateQueries({ queryKey: ['gateways'] });
      onDone(created);
    },
  });
  const errors = fieldErrors(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <Paper
      withBorder
      p="md"
      component="form"
      onSubmit={submit}
      aria-label={gateway ? `Edit ${gateway.name}` : 'New gateway'}
    >
      <Stack>
        <Title order={2} size="h4">
          {gateway ? `Edit ${gateway.name}` : 'New gateway'}
        </Title>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <TextInput
            label="Name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
            error={errors['name']}
          />
          <TextInput
            label="Region"
            required
            value={form.region}
            onChange={(e) => setForm({ ...form, region: e.currentTarget.value })}
            error={errors['region']}
          />
          <MultiSelect
            label="Sites it serves"
            required
            data={(sites.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
            value={form.site_ids}
            onChange={(v) => setForm({ ...form, site_ids: v })}
            error={errors['site_ids']}
          />
          <TextInput
            label="Public IP"
            placeholder="203.0.113.10"
            value={form.public_ip}
            onChange={(e) => setForm({ ...form, public_ip: e.currentTarget.value })}
            error={errors['public_ip']}
          />
          <TextInput
            label="Host name"
            placeholder="gw1.company.com"
            value={form.hostname}
            onChange={(e) => setForm({ ...form, hostname: e.currentTarget.value })}
            error={errors['hostname']}
          />
        </SimpleGrid>
        <ProblemAlert problem={save.error} fields={Object.keys(form)} onReload={() => onDone()} />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {gateway ? 'Save' : 'Create gateway'}
          </Button>
          <Button variant="default" onClick={() => onDone()}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

export function GatewaysPage() {
  const gateways = useLiveGateways();
  const sites = useSites();
  const queries = useQueryClient();
  const [editing, setEditing] = useState<Gateway | 'new' | undefined>();
  const [created, setCreated] = useState<Created | undefined>();
  const remove = useMutation({
    mutationFn: (g: Gateway) =>
      answer(
        api.DELETE('/api/v1/gateways/{id}', {
          params: { path: { id: g.id } },
          headers: { 'if-match': `"${g.version}"` },
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['gateways'] }),
  });
  const siteName = (id: string) => sites.data?.items.find((s) => s.id === id)?.name ?? id;
  const items = gateways.data?.items ?? [];
  const latest = Math.max(0, ...items.map((g) => g.config_revision ?? 0));
  return (
    <Stack>
      <PageHeader title="Gateways">
        <Button onClick={() => setEditing('new')}>New gateway</Button>
      </PageHeader>
      {editing && (
        <GatewayForm
          key={editing === 'new' ? 'new' : editing.id}
          gateway={editing === 'new' ? undefined : editing}
          onDone={(c) => {
            setEditing(undefined);
            if (c) setCreated(c);
          }}
        />
      )}
      {created && (
        <ShownOnce title="Enrolment command" value={enrolmentCommand(window.location.origin, created)}>
          Run it on the gateway's machine (with NATS reachable, RN_NATS_URL). The token expires{' '}
          {when(created.enrollment_expires_at)}.
        </ShownOnce>
      )}
      <ProblemAlert problem={remove.error} />
      <ListTable
        label="Gateways"
        columns={['Name', 'Status', 'Sites', 'Config revision', 'Last heartbeat', 'Actions']}
        isEmpty={gateways.isSuccess && !items.length}
        empty={
          <EmptyState title="No gateways yet">
            A gateway serves your sites' resources to people. Create one and run the command it shows.
          </EmptyState>
        }
      >
        {items.map((g) => (
          <Table.Tr key={g.id} data-testid={`gateway-${g.name}`}>
            <Table.Td>{g.name}</Table.Td>
            <Table.Td>
              <Badge color={statusColor(g.status)}>{g.status}</Badge>
            </Table.Td>
            <Table.Td>{g.site_ids.map(siteName).join(', ')}</Table.Td>
            <Table.Td>
              {g.config_revision ?? '—'}
              {g.config_revision !== null && g.config_revision < latest ? ` (behind ${latest})` : ''}
            </Table.Td>
            <Table.Td>{when(g.last_heartbeat_at)}</Table.Td>
            <Table.Td>
              <Group gap="xs">
                <Button size="xs" variant="light" onClick={() => setEditing(g)}>
                  Edit / move
                </Button>
                <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(g)}>
                  Delete
                </Button>
              </Group>
            </Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
    </Stack>
  );
}
