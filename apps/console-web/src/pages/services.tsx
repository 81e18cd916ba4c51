import { Anchor, Badge, Button, Stack, Table } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { answer } from '../api/problems';
import { connectedTunnels } from '../gateways/runtime';
import { ListTable } from '../ui/list-table';
import { EmptyState, PageHeader, ProblemAlert, when } from '../ui/parts';
import { useLiveGateways } from './gateways';

/** Services people exposed with `rustronaut expose`. */
export function ServicesPage() {
  const queries = useQueryClient();
  const services = useQuery({ queryKey: ['services'], queryFn: () => answer(api.GET('/api/v1/services')) });
  const remove = useMutation({
    mutationFn: (id: string) => answer(api.DELETE('/api/v1/services/{id}', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['services'] }),
  });
  const items = services.data ? ('items' in services.data ? services.data.items : services.data) : [];
  // Whether each tunnel is connected: what the gateways report, followed live.
  const connected = connectedTunnels(useLiveGateways().data?.items ?? []);
  return (
    <Stack>
      <PageHeader title="Exposed services" />
      <ProblemAlert problem={remove.error} />
      <ListTable
        label="Exposed services"
        columns={['Name', 'Public URL', 'Local address', 'Tunnel', 'Sign-in', 'Since', 'Actions']}
        isEmpty={services.isSuccess && !items.length}
        empty={
          <EmptyState title="Nothing exposed">
            Share a local service in one command: <code>rustronaut expose localhost:3000 http</code>
          </EmptyState>
        }
      >
        {items.map((s) => (
          <Table.Tr key={s.id}>
            <Table.Td>{s.name}</Table.Td>
            <Table.Td>
              <Anchor href={s.public_url} target="_blank" rel="noreferrer">
                {s.public_url}
              </Anchor>
            </Table.Td>
            <Table.Td>{s.local_address}</Table.Td>
            <Table.Td data-testid={`tunnel-${s.name}`}>
              {connected.has(s.id) ? (
                <Badge color="teal.9">connected</Badge>
              ) : (
                <Badge color="gray.7">not connected</Badge>
              )}
            </Table.Td>
            <Table.Td>
              {s.auth_required ? <Badge>required</Badge> : <Badge color="gray.7">public</Badge>}
            </Table.Td>
            <Table.Td>{when(s.created_at)}</Table.Td>
            <Table.Td>
              <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(s.id)}>
                Stop exposing
              </Button>
            </Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
    </Stack>
  );
}
