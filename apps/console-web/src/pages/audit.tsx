import { Button, Code, Stack, Table } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { FilterForm, TextFilter, TimeRangeFilters, useFilters } from '../ui/filter-form';
import { EmptyState, PageHeader, when } from '../ui/parts';

/** Every change, by whom and when; filters by actor, type and time; each event's details. */
export function AuditPage() {
  const { filters, setApplied, query, set } = useFilters({ actor: '', type: '', since: '', until: '' });
  const [open, setOpen] = useState<string | undefined>();
  const audit = useQuery({
    queryKey: ['audit', query],
    queryFn: () => answer(api.GET('/api/v1/audit', { params: { query: { ...query, limit: 100 } } })),
  });
  const errors = fieldErrors(audit.error);
  const items = audit.data?.items ?? [];
  return (
    <Stack>
      <PageHeader title="Audit log" />
      <FilterForm
        label="Filter the audit log"
        cols={4}
        queryKey="audit"
        onFilter={() => setApplied(filters)}
        problem={audit.error}
        fields={Object.keys(filters)}
      >
        <TextFilter label="Actor" value={filters.actor} onChange={set('actor')} error={errors['actor']} />
        <TextFilter
          label="Event type"
          placeholder="ResourceCreated"
          value={filters.type}
          onChange={set('type')}
          error={errors['type']}
        />
        <TimeRangeFilters since={filters.since} until={filters.until} set={set} errors={errors} />
      </FilterForm>
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
