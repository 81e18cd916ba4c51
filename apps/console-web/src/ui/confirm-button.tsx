import { Button, Group, Text } from '@mantine/core';
import { useState } from 'react';

/**
 * A destructive action asked twice: the button, then "Delete Pat? Yes / Cancel" in its place
 * (focus moves to the confirming button, so the keyboard can finish it).
 */
export function ConfirmButton({
  label,
  subject,
  onConfirm,
  loading,
}: {
  /** What it does: Delete, Revoke. */
  label: string;
  /** What it does it to, as a person reads it (its name, their email). */
  subject: string;
  onConfirm: () => void;
  loading?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const question = `${label} ${subject}?`;
  if (!asking)
    return (
      <Button
        size="xs"
        variant="subtle"
        color="red"
        aria-label={`${label} ${subject}`}
        onClick={() => setAsking(true)}
      >
        {label}
      </Button>
    );
  return (
    <Group gap="xs" wrap="nowrap" role="group" aria-label={question}>
      <Text size="sm">{question}</Text>
      <Button
        size="xs"
        color="red"
        autoFocus
        loading={loading}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </Button>
      <Button size="xs" variant="default" onClick={() => setAsking(false)}>
        Cancel
      </Button>
    </Group>
  );
}
