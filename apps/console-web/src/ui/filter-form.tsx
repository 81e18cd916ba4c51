import { Button, Group, Paper, SimpleGrid, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { ProblemAlert } from './parts';

/**
 * A log page's filters: what is typed, and what was applied with Filter (the query's parameters:
 * the non-empty ones).
 */
export function useFilters<F extends Record<string, string>>(initial: F) {
  const [filters, setFilters] = useState(initial);
  const [applied, setApplied] = useState(initial);
  const query = Object.fromEntries(Object.entries(applied).filter(([, v]) => v !== ''));
  const set = (key: keyof F) => (value: string) => setFilters((f) => ({ ...f, [key]: value }));
  return { filters, applied, setApplied, query, set };
}

/**
 * The form of a log's filters: its fields, Filter, and the API's error (the fields show their
 * own). Filter with unchanged filters reads the log again (same query key: no refetch by itself).
 */
export function FilterForm({
  label,
  cols,
  queryKey,
  onFilter,
  problem,
  fields,
  children,
}: {
  label: string;
  cols: number;
  /** The first part of the log's query key, read again on Filter. */
  queryKey: string;
  onFilter: () => void;
  problem: unknown;
  fields: readonly string[];
  children: ReactNode;
}) {
  const queryClient = useQueryClient();
  return (
    <Paper
      withBorder
      p="md"
      component="form"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        onFilter();
        void queryClient.invalidateQueries({ queryKey: [queryKey] });
      }}
    >
      <SimpleGrid cols={{ base: 1, md: cols }}>{children}</SimpleGrid>
      <Group mt="sm">
        <Button type="submit">Filter</Button>
      </Group>
      <ProblemAlert problem={problem} fields={fields} />
    </Paper>
  );
}

/** A text field of a filter form, its API error beside it. */
export function TextFilter({
  label,
  placeholder,
  value,
  onChange,
  error,
}: {
  label: string;
  placeholder?: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}) {
  return (
    <TextInput
      label={label}
      placeholder={placeholder}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      error={error}
    />
  );
}

/** Since and Until of a filter form (ISO 8601 times). */
export function TimeRangeFilters({
  since,
  until,
  set,
  errors,
}: {
  since: string;
  until: string;
  set: (key: 'since' | 'until') => (value: string) => void;
  errors: Record<string, string>;
}) {
  return (
    <>
      <TextFilter
        label="Since"
        placeholder="2026-12-01T00:00:00Z"
        value={since}
        onChange={set('since')}
        error={errors['since']}
      />
      <TextFilter label="Until" value={until} onChange={set('until')} error={errors['until']} />
    </>
  );
}
