import {
  Button,
  Code,
  Group,
  Image,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Answer } from '@rustronaut/api-client';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { ConfirmButton } from '../ui/confirm-button';
import { ListTable } from '../ui/list-table';
import { Copyable, EmptyState, PageHeader, ProblemAlert, ShownOnce, when } from '../ui/parts';
import { useUsers } from './directory';
import { useSites } from './sites';

type Device = Answer<'/api/v1/devices/{id}', 'get'>;
type CreatedDevice = Answer<'/api/v1/devices', 'post'>;

/** The device's private key, never stored: sent only to fill in the config it was made with. */
const DEVICE_KEY_HEADER = 'x-rustronaut-device-key';
const FIELDS = ['name', 'site_id', 'public_key'];

const useDevices = () =>
  useQuery({ queryKey: ['devices'], queryFn: () => answer(api.GET('/api/v1/devices')) });

/** The wg-quick config of a device as text and as a QR code for the WireGuard apps (the API makes both). */
function useDeviceConfig(id: string, privateKey?: string) {
  const headers = privateKey ? { [DEVICE_KEY_HEADER]: privateKey } : undefined;
  const config = (format: 'conf' | 'qr') =>
    answer(
      api.GET('/api/v1/devices/{id}/config', {
        params: { path: { id }, query: format === 'qr' ? { format, image: 'svg' } : { format } },
        headers,
        parseAs: 'text',
      }),
    );
  return useQuery({
    queryKey: ['device-config', id, Boolean(privateKey)],
    queryFn: async () => ({ text: await config('conf'), svg: await config('qr') }),
    // The private key is in it: kept for this view only.
    gcTime: 0,
    staleTime: Infinity,
  });
}

function DeviceConfig({ device, privateKey }: { device: { id: string; name: string }; privateKey?: string }) {
  const config = useDeviceConfig(device.id, privateKey);
  if (config.isPending) return <Text c="dimmed">Loading the config…</Text>;
  if (config.isError) return <ProblemAlert problem={config.error} />;
  return (
    <Group align="flex-start" wrap="wrap" gap="lg">
      <Image
        src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(config.data.svg)}`}
        alt={`QR code of ${device.name}'s WireGuard config`}
        w={220}
        h={220}
        bg="white"
      />
      <Stack gap="xs" style={{ flex: 1, minWidth: 280 }}>
        <Text size="sm">
          Scan the code with the WireGuard app, or save this as <Code>{device.name}.conf</Code> for{' '}
          <Code>wg-quick up</Code>.
        </Text>
        <Copyable value={config.data.text} label={`WireGuard config of ${device.name}`} />
      </Stack>
    </Group>
  );
}

function NewDevice({ onCreated }: { onCreated: (device: CreatedDevice) => void }) {
  const queries = useQueryClient();
  const sites = useSites();
  const [form, setForm] = useState({ name: '', site_id: '', public_key: '' });
  const create = useMutation({
    mutationFn: () =>
      answer(
        api.POST('/api/v1/devices', {
          body: {
            name: form.name,
            site_id: form.site_id,
            ...(form.public_key.trim() ? { public_key: form.public_key.trim() } : {}),
          },
        }),
      ),
    onSuccess: async (device) => {
      setForm({ name: '', site_id: form.site_id, public_key: '' });
      onCreated(device);
      await queries.invalidateQueries({ queryKey: ['devices'] });
    },
  });
  const errors = fieldErrors(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="New device">
      <Title order={2} size="h4" mb="sm">
        New device
      </Title>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <TextInput
          label="Name"
          required
          placeholder="laptop"
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
          error={errors['name']}
        />
        <Select
          label="Site"
          required
          data={(sites.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
          value={form.site_id || null}
          onChange={(v) => setForm({ ...form, site_id: v ?? '' })}
          error={errors['site_id']}
        />
        <TextInput
          label="Public key"
          description="Leave empty to have a key pair made (its private key is shown once)"
          value={form.public_key}
          onChange={(e) => setForm({ ...form, public_key: e.currentTarget.value })}
          error={errors['public_key']}
        />
      </SimpleGrid>
      <ProblemAlert problem={create.error} fields={FIELDS} />
      <Button mt="sm" type="submit" loading={create.isPending}>
        Create device
      </Button>
    </Paper>
  );
}

/** WireGuard devices: a person's laptop or phone in a site's VPN, its config and QR, revoked when lost. */
export function DevicesPage() {
  const queries = useQueryClient();
  const devices = useDevices();
  const users = useUsers();
  const sites = useSites();
  const [created, setCreated] = useState<CreatedDevice>();
  const [open, setOpen] = useState<string>();
  const revoke = useMutation({
    mutationFn: (d: Device) => answer(api.DELETE('/api/v1/devices/{id}', { params: { path: { id: d.id } } })),
    onSuccess: async (_, d) => {
      if (created?.id === d.id) setCreated(undefined);
      await queries.invalidateQueries({ queryKey: ['devices'] });
    },
  });
  const userEmail = (id: string) => users.data?.items.find((u) => u.id === id)?.email ?? id;
  const siteName = (id: string) => sites.data?.items.find((s) => s.id === id)?.name ?? id;
  const items = (devices.data?.items ?? []).filter((d) => !d.revoked_at);
  const shownDevice = items.find((d) => d.id === open);
  return (
    <Stack>
      <PageHeader title="Devices" />
      <NewDevice onCreated={setCreated} />
      {created?.private_key && (
        <ShownOnce title={`Private key of ${created.name}`} value={created.private_key}>
          {created.config ? (
            <DeviceConfig device={created} privateKey={created.private_key} />
          ) : (
            <Text size="sm">
              The site has no WireGuard gateway yet: once it has one, open this device&apos;s config and add
              this key as its PrivateKey.
            </Text>
          )}
        </ShownOnce>
      )}
      <ProblemAlert problem={revoke.error} />
      <ListTable
        label="Devices"
        columns={['Name', 'User', 'Site', 'Address', 'Last seen', 'Actions']}
        isEmpty={devices.isSuccess && !items.length}
        empty={
          <EmptyState title="No devices">
            Create a device for each laptop or phone that joins a site&apos;s VPN: it gets an address and a
            WireGuard config to scan.
          </EmptyState>
        }
      >
        {items.map((d) => (
          <Table.Tr key={d.id}>
            <Table.Td>{d.name}</Table.Td>
            <Table.Td>{userEmail(d.user_id)}</Table.Td>
            <Table.Td>{siteName(d.site_id)}</Table.Td>
            <Table.Td>
              <Code>{d.address}</Code>
            </Table.Td>
            <Table.Td>{d.last_seen_at ? when(d.last_seen_at) : 'never'}</Table.Td>
            <Table.Td>
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="xs"
                  variant="light"
                  aria-expanded={open === d.id}
                  onClick={() => setOpen(open === d.id ? undefined : d.id)}
                >
                  {open === d.id ? 'Hide config' : 'Config'}
                </Button>
                <ConfirmButton
                  label="Revoke"
                  subject={d.name}
                  loading={revoke.isPending && revoke.variables?.id === d.id}
                  onConfirm={() => revoke.mutate(d)}
                />
              </Group>
            </Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
      {shownDevice && (
        <Paper component="section" withBorder p="md" aria-label="Device config">
          <Title order={2} size="h4" mb="sm">
            Config of {shownDevice.name}
          </Title>
          <DeviceConfig device={shownDevice} />
        </Paper>
      )}
    </Stack>
  );
}
