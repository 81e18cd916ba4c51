import { Button, Group, Paper, Select, SimpleGrid, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Answer } from '@rustronaut/api-client';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { ListTable } from '../ui/list-table';
import { EmptyState, PageHeader, ProblemAlert, ShownOnce, when } from '../ui/parts';

type Site = Answer<'/api/v1/sites/{id}', 'get'>;
type Connector = Answer<'/api/v1/sites/{id}/connector', 'post'>;

export const useSites = () =>
  useQuery({
    queryKey: ['sites'],
    queryFn: () => answer(api.GET('/api/v1/sites', { params: { query: { limit: 500 } } })),
  });

const SITE_FIELDS = ['name', 'subnet', 'region', 'connection_type'];

function SiteForm({ site, onDone }: { site?: Site; onDone: () => void }) {
  const queries = useQueryClient();
  const [form, setForm] = useState({
    name: site?.name ?? '',
    subnet: site?.subnet ?? '',
    region: site?.region ?? '',
    connection_type: site?.connection_type ?? 'tunnel',
  });
  const save = useMutation({
    mutationFn: () =>
      site
        ? answer(
            api.PATCH('/api/v1/sites/{id}', {
              params: { path: { id: site.id } },
              headers: { 'if-match': `"${site.version}"` },
              body: form,
            }),
          )
        : answer(api.POST('/api/v1/sites', { body: form })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['sites'] });
      onDone();
    },
  });
  const errors = fieldErrors(save.error);
  const set = (key: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
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
      aria-label={site ? `Edit ${site.name}` : 'New site'}
    >
      <Stack>
        <Title order={2} size="h4">
          {site ? `Edit ${site.name}` : 'New site'}
        </Title>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <TextInput
            label="Name"
            required
            value={form.name}
            onChange={(e) => set('name')(e.currentTarget.value)}
            error={errors['name']}
          />
          <TextInput
            label="Subnet"
            description="The site's address space, e.g. 10.1.0.0/24"
            required
            value={form.subnet}
            onChange={(e) => set('subnet')(e.currentTarget.value)}
            error={errors['subnet']}
          />
          <TextInput
            label="Region"
            required
            value={form.region}
            onChange={(e) => set('region')(e.currentTarget.value)}
            error={errors['region']}
          />
          <Select
            label="Connection"
            data={[
              { value: 'tunnel', label: 'Connector tunnel' },
              { value: 'wireguard', label: 'WireGuard' },
              { value: 'local', label: 'Local network of the gateway' },
            ]}
            value={form.connection_type}
            onChange={(v) => set('connection_type')(v ?? 'tunnel')}
            error={errors['connection_type']}
            allowDeselect={false}
          />
        </SimpleGrid>
        <ProblemAlert
          problem={save.error}
          fields={SITE_FIELDS}
          onReload={() => void queries.invalidateQueries({ queryKey: ['sites'] }).then(onDone)}
        />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {site ? 'Save' : 'Create site'}
          </Button>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

export function SitesPage() {
  const sites = useSites();
  const queries = useQueryClient();
  const [editing, setEditing] = useState<Site | 'new' | undefined>();
  const [connector, setConnector] = useState<Connector | undefined>();
  const issue = useMutation({
    mutationFn: (id: string) =>
      answer(api.POST('/api/v1/sites/{id}/connector', { params: { path: { id } } })),
    onSuccess: setConnector,
  });
  const remove = useMutation({
    mutationFn: (site: Site) =>
      answer(
        api.DELETE('/api/v1/sites/{id}', {
          params: { path: { id: site.id } },
          headers: { 'if-match': `"${site.version}"` },
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['sites'] }),
  });
  const items = sites.data?.items ?? [];
  return (
    <Stack>
      <PageHeader title="Sites">
        <Button onClick={() => setEditing('new')}>New site</Button>
      </PageHeader>
      {editing && (
        <SiteForm
          key={editing === 'new' ? 'new' : editing.id}
          site={editing === 'new' ? undefined : editing}
          onDone={() => setEditing(undefined)}
        />
      )}
      {connector && (
        <ShownOnce title="Connector token" value={connector.token}>
          <TextInput
            readOnly
            label="Run on a machine of the site"
            value={`rustronaut connector --token ${connector.token} --endpoint ${connector.endpoint}`}
          />
        </ShownOnce>
      )}
      <ProblemAlert problem={issue.error ?? remove.error} />
      <ListTable
        label="Sites"
        columns={['Name', 'Subnet', 'Region', 'Connection', 'Changed', 'Actions']}
        isEmpty={sites.isSuccess && !items.length}
        highlightOnHover
        empty={
          <EmptyState title="No sites yet">
            A site is a private network you publish resources from. Create one, then a gateway to serve it.
          </EmptyState>
        }
      >
        {items.map((site) => (
          <Table.Tr key={site.id}>
            <Table.Td>{site.name}</Table.Td>
            <Table.Td>{site.subnet}</Table.Td>
            <Table.Td>{site.region}</Table.Td>
            <Table.Td>{site.connection_type}</Table.Td>
            <Table.Td>{when(site.updated_at)}</Table.Td>
            <Table.Td>
              <Group gap="xs">
                <Button size="xs" variant="light" onClick={() => setEditing(site)}>
                  Edit
                </Button>
                <Button size="xs" variant="light" onClick={() => issue.mutate(site.id)}>
                  Connector token
                </Button>
                <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(site)}>
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
