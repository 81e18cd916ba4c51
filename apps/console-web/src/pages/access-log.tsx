import {
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Answer } from '@rustronaut/api-client';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useLive } from '../api/live';
import { answer, fieldErrors } from '../api/problems';
import { EmptyState, PageHeader, ProblemAlert, when } from '../ui/parts';
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
  const [filters, setFilters] = useState({
    resource: '',
    user: '',
    decision: '',
    status: '',
    since: '',
    until: '',
  });
  const [applied, setApplied] = useState(filters);
  const [live, setLive] = useState(false);
  const [tail, setTail] = useState<Record[]>([]);
  const queryClient = useQueryClient();
  const query = Object.fromEntries(Object.entries(applied).filter(([, v]) => v !== ''));
  const log = useQuery({
    queryKey: ['access-log', query],
    queryFn: () =>
      answer(api.GET('/api/v1/access-log', { params: { query: { ...query, limit: 100 } as never } })),
  });
  useLive<Record>(live ? '/api/v1/access-log/live' : undefined, 'access', (r) =>
    setTail((t) => [r, ...t].slice(0, TAIL_SIZE)),
  );
  const errors = fieldErrors(log.error);
  const set = (key: keyof typeof filters) => (value: string) => setFilters((f) => ({ ...f, [key]: value }));
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
      <Paper
        withBorder
        p="md"
        component="form"
        aria-label="Filter the access log"
        onSubmit={(e) => {
          e.preventDefault();
          setTail([]);
          setApplied(filters);
          // Filter again with the same filters reads the log again (same query key: no refetch by itself).
          void queryClient.invalidateQueries({ queryKey: ['access-log'] });
        }}
      >
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <TextInput
            label="Resource id"
            value={filters.resource}
            onChange={(e) => set('resource')(e.currentTarget.value)}
            error={errors['resource']}
          />
          <TextInput
            label="User (id or email)"
            value={filters.user}
            onChange={(e) => set('user')(e.currentTarget.value)}
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
          <TextInput
            label="Status"
            value={filters.status}
            onChange={(e) => set('status')(e.currentTarget.value)}
            error={errors['status']}
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
        <ProblemAlert problem={log.error} fields={Object.keys(filters)} />
      </Paper>
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
