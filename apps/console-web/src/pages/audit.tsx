import { Button, Code, Group, Paper, SimpleGrid, Stack, Table, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { EmptyState, PageHeader, ProblemAlert, when } from '../ui/parts';

/** Every change, by whom and when; filters by actor, type and time; each event's details. */
export function AuditPage() {
  const [filters, setFilters] = useState({ actor: '', type: '', since: '', until: '' });
  const [applied, setApplied] = useState(filters);
  const [open, setOpen] = useState<string | undefined>();
  const queryClient = useQueryClient();
  const query = Object.fromEntries(Object.entries(applied).filter(([, v]) => v !== ''));
  const audit = useQuery({
    queryKey: ['audit', query],
    queryFn: () => answer(api.GET('/api/v1/audit', { params: { query: { ...query, limit: 100 } } })),
  });
  const errors = fieldErrors(audit.error);
  const set = (key: keyof typeof filters) => (value: string) => setFilters((f) => ({ ...f, [key]: value }));
  const items = audit.data?.items ?? [];
  return (
    <Stack>
      <PageHeader title="Audit log" />
      <Paper
        withBorder
        p="md"
        component="form"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
          // Filter again with the same filters reads the log again (same query key: no refetch by itself).
          void queryClient.invalidateQueries({ queryKey: ['audit'] });
        }}
      >
        <SimpleGrid cols={{ base: 1, md: 4 }}>
          <TextInput
            label="Actor"
            value={filters.actor}
            onChange={(e) => set('actor')(e.currentTarget.value)}
            error={errors['actor']}
          />
          <TextInput
            label="Event type"
            placeholder="ResourceCreated"
            value={filters.type}
            onChange={(e) => set('type')(e.currentTarget.value)}
            error={errors['type']}
          />
          <TextInput
            label="Since"
            placeholder="2026-12-01T00:00:00Z"
            value={filters.since}
            onChange={(e) => set('since')(e.currentTarget.value)}
            error={errors['since']}
          />
          <TextInput
            label="Until"
            value={filters.until}
            onChange={(e) => set('until')(e.currentTarget.value)}
            error={errors['until']}
          />
        </SimpleGrid>
        <Group mt="sm">
          <Button type="submit">Filter</Button>
        </Group>
        <ProblemAlert problem={audit.error} fields={Object.keys(filters)} />
      </Paper>
      {audit.isSuccess && !items.length ? (
        <EmptyState title="No events match">
          Every change to users, sites, resources, policies and gateways is recorded here.
        </EmptyState>
      ) : (
        <Table aria-label="Audit log">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>At</Table.Th>
              <Table.Th>Event</Table.Th>
              <Table.Th>Of</Table.Th>
              <Table.Th>By</Table.Th>
              <Table.Th>Details</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((e) => (
              <Fragment key={e.id}>
                <Table.Tr>
                  <Table.Td>{when(e.occurred_at)}</Table.Td>
                  <Table.Td>{e.type}</Table.Td>
                  <Table.Td>
                    {e.aggregate_type} {e.aggregate_id}
                  </Table.Td>
                  <Table.Td>{JSON.stringify(e.actor)}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="subtle"
                      aria-expanded={open === e.id}
                      onClick={() => setOpen(open === e.id ? undefined : e.id)}
                    >
                      {open === e.id ? 'Hide' : 'Show'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
                {open === e.id && (
                  <Table.Tr>
                    <Table.Td colSpan={5}>
                      <Code block>{JSON.stringify(e.data, null, 2)}</Code>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
