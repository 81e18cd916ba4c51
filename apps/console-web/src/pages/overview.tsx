import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import { answer } from '../api/problems';
import { certificatesNearExpiry, connectedTunnels } from '../gateways/runtime';
import { EmptyState, PageHeader, when } from '../ui/parts';
import { statusColor, useLiveGateways } from './gateways';

export function OverviewPage() {
  const gateways = useLiveGateways();
  const refusals = useQuery({
    queryKey: ['access-log', { decision: 'refused' }],
    queryFn: () =>
      answer(api.GET('/api/v1/access-log', { params: { query: { decision: 'refused', limit: 10 } } })),
  });
  const services = useQuery({
    queryKey: ['services'],
    queryFn: () => answer(api.GET('/api/v1/services')),
  });
  const items = gateways.data?.items ?? [];
  const healthy = items.filter((g) => g.status === 'healthy').length;
  const latest = Math.max(0, ...items.map((g) => g.config_revision ?? 0));
  const serviceList = services.data ? ('items' in services.data ? services.data.items : services.data) : [];
  const connected = connectedTunnels(items);
  const online = serviceList.filter((s) => connected.has(s.id));
  const expiring = certificatesNearExpiry(items, new Date());
  return (
    <Stack>
      <PageHeader title="Overview" />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Gateways healthy
          </Text>
          <Title order={2}>
            {healthy} / {items.length}
          </Title>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Recent refusals
          </Text>
          <Title order={2}>{refusals.data?.items.length ?? '—'}</Title>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Exposed services online
          </Text>
          <Title order={2} data-testid="services-online">
            {services.data ? `${online.length} / ${serviceList.length}` : '—'}
          </Title>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Certificates expiring within 30 days
          </Text>
          <Title order={2} data-testid="certificates-expiring">
            {gateways.data ? expiring.length : '—'}
          </Title>
        </Card>
      </SimpleGrid>
      <Title order={2} size="h4">
        Gateways
      </Title>
      {gateways.isSuccess && !items.length ? (
        <EmptyState title="No gateways">
          <Anchor component={Link} to="/gateways">
            Create a gateway
          </Anchor>{' '}
          to serve your sites.
        </EmptyState>
      ) : (
        <Table aria-label="Gateways at a glance">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Config revision (latest {latest})</Table.Th>
              <Table.Th>Last heartbeat</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((g) => (
              <Table.Tr key={g.id}>
                <Table.Td>{g.name}</Table.Td>
                <Table.Td>
                  <Badge color={statusColor(g.status)}>{g.status}</Badge>
                </Table.Td>
                <Table.Td>{g.config_revision ?? '—'}</Table.Td>
                <Table.Td>{when(g.last_heartbeat_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={2} size="h4">
        Certificates near expiry
      </Title>
      {expiring.length ? (
        <Stack gap={4} aria-label="Certificates near expiry">
          {expiring.map((c) => (
            <Text key={`${c.gateway}|${c.names.join()}|${c.notAfter}`} size="sm">
              <Badge color={c.daysLeft < 7 ? 'red.9' : 'grape.9'} mr="xs">
                {c.daysLeft < 0 ? 'expired' : `${c.daysLeft} days`}
              </Badge>
              {c.names.join(', ')} · {c.source === 'acme' ? 'ACME' : 'file'} · {c.gateway} · until{' '}
              {when(c.notAfter)}
            </Text>
          ))}
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          No certificate the gateways serve from ACME or files expires within 30 days.
        </Text>
      )}
      <Group justify="space-between">
        <Title order={2} size="h4">
          Exposed services online
        </Title>
        <Anchor component={Link} to="/services">
          Exposed services
        </Anchor>
      </Group>
      {online.length ? (
        <Stack gap={4} aria-label="Exposed services online">
          {online.map((s) => (
            <Text key={s.id} size="sm">
              {s.name} · {s.public_url} · from {s.local_address}
            </Text>
          ))}
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          {serviceList.length
            ? 'No exposed service has its tunnel connected now.'
            : 'Nothing exposed: rustronaut expose localhost:3000 http shares a local service.'}
        </Text>
      )}
      <Group justify="space-between">
        <Title order={2} size="h4">
          Recent refusals
        </Title>
        <Anchor component={Link} to="/access-log">
          Access log
        </Anchor>
      </Group>
      {refusals.data?.items.length ? (
        <Stack gap={4}>
          {refusals.data.items.map((r) => (
            <Text key={r.id} size="sm">
              {when(r.at)} · {r.user?.email ?? 'anonymous'} · {r.method} {r.host}
              {r.path} · {r.decided_by}
              {r.reason ? ` (${r.reason})` : ''}
            </Text>
          ))}
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          Nobody was refused lately.
        </Text>
      )}
    </Stack>
  );
}
