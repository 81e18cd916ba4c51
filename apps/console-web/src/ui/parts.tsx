import {
  ActionIcon,
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Paper,
  Stack,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiProblem, formMessage } from '../api/problems';

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md">
      <Title order={1} size="h2">
        {title}
      </Title>
      <Group>{children}</Group>
    </Group>
  );
}

/** What a list shows when it is empty: what it is for and what to do next. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Paper withBorder p="xl" ta="center" data-testid="empty-state">
      <Text fw={600}>{title}</Text>
      <Text c="dimmed" size="sm" mt="xs">
        {children}
      </Text>
    </Paper>
  );
}

/**
 * A failed write: a lost If-Match race says so and offers to reload; validation errors point at
 * the fields (shown beside them); anything else is the API's message.
 */
export function ProblemAlert({
  problem,
  fields = [],
  onReload,
}: {
  problem: unknown;
  fields?: readonly string[];
  onReload?: () => void;
}) {
  if (!problem) return null;
  if (problem instanceof ApiProblem && problem.conflict)
    return (
      <Alert color="grape" title="Changed by someone else" role="alert">
        <Text size="sm">
          This was changed by someone else since you opened it — reload to see their change.
        </Text>
        {onReload && (
          <Button mt="sm" size="xs" variant="light" onClick={onReload}>
            Reload
          </Button>
        )}
      </Alert>
    );
  return (
    <Alert color="red" title="Not saved" role="alert">
      {formMessage(problem, fields)}
    </Alert>
  );
}

/** A value to copy (a command, a DNS record), with a copy button. */
export function Copyable({ value, label }: { value: string; label?: string }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <Code block style={{ flex: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} aria-label={label}>
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : 'Copy'}>
            <ActionIcon variant="light" onClick={copy} aria-label={`Copy ${label ?? 'value'}`}>
              {copied ? '✓' : '⧉'}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

/** A secret the API shows once (a token, a key). */
export function ShownOnce({
  title,
  value,
  children,
}: {
  title: string;
  value: string;
  children?: ReactNode;
}) {
  return (
    <Alert color="blue" title={title} role="status">
      <Stack gap="xs">
        <Text size="sm">Copy it now: it is shown only once.</Text>
        <Copyable value={value} label={title} />
        {children}
      </Stack>
    </Alert>
  );
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}
