import { Anchor, Badge, Select, Stack, Switch, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { Answer } from '@rustronaut/api-client';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useLive } from '../api/live';
import { answer, fieldErrors } from '../api/problems';
import { FilterForm, TextFilter, TimeRangeFilters, useFilters } from '../ui/filter-form';
import { EmptyState, PageHeader, when } from '../ui/parts';
import { simulatorLink } from './simulator';

type Record = Answer<'/api/v1/access-log', 'get'>['items'][number];

const TAIL_SIZE = 200;

function AccessRow({ r }: { r: Record }) {
  return (
    <Table.Tr data-testid="access-line" data-decision={r.decision}>
      <Table.Td>{when(r.at)}</Table.Td>
      <Table.Td>
        <Badge color={r.decision === 'allowed' ? 'teal.9' : r.decision === 'refused' ? 'red.9' : 'violet.9'}>
          {r.decision}
        </Badge>
      </Table.Td>
      <Table.Td>{r.status}</Table.Td>
      <Table.Td>{r.user?.email ?? 'anonymous'}</Table.Td>
      <Table.Td>{r.ip}</Table.Td>
      <Table.Td style={{ wordBreak: 'break-all' }}>
        {r.method} {r.host}
        {r.path}
      </Table.Td>
      <Table.Td>
        {r.decided_by}
        {r.rule ? `: ${r.rule.name}` : ''}
        {r.reason ? ` — ${r.reason}` : ''}
      </Table.Td>
      <Table.Td>
        {r.decision === 'refused' && r.resource_id && (
          <Anchor
            component={Link}
            to={simulatorLink({
              user: r.user?.id,
              resource: r.resource_id,
              ip: r.ip,
              path: r.path,
              method: r.method,
              at: r.at,
            })}
          >
            Why?
          </Anchor>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function AccessLogPage() {
  const { filters, setApplied, query, set } = useFilters({
    resource: '',
    user: '',
    decision: '',
    status: '',
    since: '',
    until: '',
  });
  const [live, setLive] = useState(false);
  const [tail, setTail] = useState<Record[]>([]);
  const log = useQuery({
    queryKey: ['access-log', query],
    queryFn: () =>
      answer(api.GET('/api/v1/access-log', { params: { query: { ...query, limit: 100 } as never } })),
  });
  useLive<Record>(live ? '/api/v1/access-log/live' : undefined, 'access', (r) =>
    setTail((t) => [r, ...t].slice(0, TAIL_SIZE)),
  );
  const errors = fieldErrors(log.error);
  const items = [...tail, ...(log.data?.items ?? []).filter((r) => !tail.some((t) => t.id === r.id))];
  return (
    <Stack>
      <PageHeader title="Access log">
        <Switch
          label="Live tail"
          checked={live}
          onChange={(e) => {
            setLive(e.currentTarget.checked);
            setTail([]);
          }}
        />
      </PageHeader>
      <FilterForm
        label="Filter the access log"
        cols={3}
        queryKey="access-log"
        onFilter={() => {
          setTail([]);
          setApplied(filters);
        }}
        problem={log.error}
        fields={Object.keys(filters)}
      >
        <TextFilter
          label="Resource id"
          value={filters.resource}
          onChange={set('resource')}
          error={errors['resource']}
        />
        <TextFilter
          label="User (id or email)"
          value={filters.user}
          onChange={set('user')}
          error={errors['user']}
        />
        <Select
          label="Decision"
          data={['allowed', 'refused', 'failed']}
          value={filters.decision || null}
          onChange={(v) => set('decision')(v ?? '')}
          clearable
          error={errors['decision']}
        />
        <TextFilter label="Status" value={filters.status} onChange={set('status')} error={errors['status']} />
        <TimeRangeFilters since={filters.since} until={filters.until} set={set} errors={errors} />
      </FilterForm>
      {live && (
        <Text size="sm" c="dimmed" aria-live="polite">
          Following new requests as the gateways ship them ({tail.length} so far).
        </Text>
      )}
      {log.isSuccess && !items.length ? (
        <EmptyState title="No requests match">
          Every request a gateway decides on lands here within seconds. Open a resource through a gateway, or
          widen the filters.
        </EmptyState>
      ) : (
        <Table striped aria-label="Access log">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>At</Table.Th>
              <Table.Th>Decision</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>User</Table.Th>
              <Table.Th>From</Table.Th>
              <Table.Th>Request</Table.Th>
              <Table.Th>Decided by</Table.Th>
              <Table.Th>Simulate</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((r) => (
              <AccessRow key={r.id} r={r} />
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
