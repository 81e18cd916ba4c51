import { ActionIcon, Button, Group } from '@mantine/core';

/** A form's list of rows (targets, rules, time windows): the row `i` replaced, or left out. */
export const replaced = <T,>(items: readonly T[], i: number, next: T): T[] =>
  items.map((x, j) => (j === i ? next : x));
export const without = <T,>(items: readonly T[], i: number): T[] => items.filter((_, j) => j !== i);

/** The ✕ at the end of a row of fields (aligned with the inputs under their labels). */
export function RemoveRow({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <ActionIcon mt={26} variant="subtle" color="red" aria-label={label} onClick={onClick}>
      ✕
    </ActionIcon>
  );
}

/** The button under a list of rows that adds one. */
export function AddRow({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <Group>
      <Button variant="light" size="xs" onClick={onClick}>
        {label}
      </Button>
    </Group>
  );
}
