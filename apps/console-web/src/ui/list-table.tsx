import { Table } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * A list as a table under its column headings, or — once it loaded and holds nothing — what it is
 * for and what to do next (an EmptyState).
 */
export function ListTable({
  label,
  columns,
  empty,
  isEmpty,
  highlightOnHover,
  children,
}: {
  label: string;
  columns: readonly string[];
  empty: ReactNode;
  isEmpty: boolean;
  highlightOnHover?: boolean;
  children: ReactNode;
}) {
  if (isEmpty) return <>{empty}</>;
  return (
    <Table striped highlightOnHover={highlightOnHover ?? false} aria-label={label}>
      <Table.Thead>
        <Table.Tr>
          {columns.map((c) => (
            <Table.Th key={c}>{c}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>{children}</Table.Tbody>
    </Table>
  );
}
