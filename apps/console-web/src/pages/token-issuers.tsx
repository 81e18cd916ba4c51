import {
  Button,
  Group,
  MultiSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { answer, errorsUnder, fieldErrors } from '../api/problems';
import {
  TOKEN_ALGORITHMS,
  keySummary,
  keysError,
  newTokenIssuer,
  tokenIssuerBody,
  type TokenAlgorithm,
  type TokenIssuer,
  type TokenIssuerForm,
} from '../forms/token-issuer-form';
import { ConfirmButton } from '../ui/confirm-button';
import { ListTable } from '../ui/list-table';
import { EmptyState, ProblemAlert } from '../ui/parts';

const ISSUER_FIELDS = ['name', 'issuer', 'audience', 'algorithms', 'keys'];

const issuersOf = (resourceId: string) => ({
  queryKey: ['token-issuers', resourceId],
  queryFn: () =>
    answer(api.GET('/api/v1/resources/{id}/token-issuers', { params: { path: { id: resourceId } } })),
});

/** The trusted issuers of these resources (each resource's list read once), for the policy editor. */
export function useTokenIssuersOf(resourceIds: readonly string[]): TokenIssuer[] {
  return useQueries({ queries: resourceIds.map(issuersOf) }).flatMap((q) => q.data?.items ?? []);
}

/**
 * An HTTP resource's trusted token issuers: listed (their keys by fingerprint only), added from a form
 * whose keys are pasted as JSON, removed after a confirmation.
 */
export function TokenIssuers({ resourceId, authRequired }: { resourceId: string; authRequired: boolean }) {
  const queries = useQueryClient();
  const issuers = useQuery(issuersOf(resourceId));
  const [form, setForm] = useState<TokenIssuerForm>(newTokenIssuer);
  /** Why the pasted keys could not be sent (not JSON, not a JWK): said beside the field. */
  const [keysProblem, setKeysProblem] = useState<string>();
  const [sentKeys, setSentKeys] = useState(0);
  const refresh = () => queries.invalidateQueries({ queryKey: ['token-issuers', resourceId] });
  const add = useMutation({
    mutationFn: (body: Extract<ReturnType<typeof tokenIssuerBody>, { body: unknown }>['body']) =>
      answer(
        api.POST('/api/v1/resources/{id}/token-issuers', { params: { path: { id: resourceId } }, body }),
      ),
    onSuccess: async () => {
      setForm(newTokenIssuer());
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (issuerId: string) =>
      answer(
        api.DELETE('/api/v1/resources/{id}/token-issuers/{issuerId}', {
          params: { path: { id: resourceId, issuerId } },
        }),
      ),
    onSuccess: refresh,
  });
  const errors = fieldErrors(add.error);
  const set = <K extends keyof TokenIssuerForm>(key: K, value: TokenIssuerForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const built = tokenIssuerBody(form);
    setKeysProblem('problem' in built ? built.problem : undefined);
    if ('problem' in built) return;
    setSentKeys(built.body.keys.length);
    add.mutate(built.body);
  };
  const items = issuers.data?.items ?? [];
  return (
    <Paper withBorder p="md">
      <Title order={2} size="h4" mb="sm">
        Trusted token issuers
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Services that call this resource with their own signed tokens (Authorization: Bearer …). A policy
        naming the issuer, and optionally the tokens’ subjects, lets them in.
        {!authRequired && ' This resource does not require sign-in: everyone gets in, token or not.'}
      </Text>
      {issuers.error && (
        <Text size="sm" c="red">
          {issuers.error.message}
        </Text>
      )}
      <ListTable
        label="Trusted token issuers"
        columns={['Name', 'Issuer (iss)', 'Audience (aud)', 'Algorithms', 'Keys', 'Actions']}
        isEmpty={issuers.isSuccess && !items.length}
        empty={
          <EmptyState title="No trusted issuers">
            Add one below for a service that signs its own tokens; then name it in a policy.
          </EmptyState>
        }
      >
        {items.map((i) => (
          <Table.Tr key={i.id}>
            <Table.Td>{i.name}</Table.Td>
            <Table.Td>{i.issuer}</Table.Td>
            <Table.Td>{i.audience}</Table.Td>
            <Table.Td>{i.algorithms.join(', ')}</Table.Td>
            <Table.Td>
              {i.keys.map((k) => (
                <Text key={k.fingerprint} size="sm" ff="monospace">
                  {keySummary(k)}
                </Text>
              ))}
            </Table.Td>
            <Table.Td>
              <ConfirmButton
                label="Remove"
                subject={i.name}
                loading={remove.isPending && remove.variables === i.id}
                onConfirm={() => remove.mutate(i.id)}
              />
            </Table.Td>
          </Table.Tr>
        ))}
      </ListTable>
      <form onSubmit={submit} aria-label="Add a trusted token issuer">
        <Stack mt="md">
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <TextInput
              label="Issuer name"
              required
              value={form.name}
              onChange={(e) => set('name', e.currentTarget.value)}
              error={errors['name']}
            />
            <TextInput
              label="Issuer (iss)"
              description="Exactly as its tokens carry it"
              placeholder="https://ci.example.com"
              required
              value={form.issuer}
              onChange={(e) => set('issuer', e.currentTarget.value)}
              error={errors['issuer']}
            />
            <TextInput
              label="Audience (aud)"
              description="What its tokens must name as their audience"
              required
              value={form.audience}
              onChange={(e) => set('audience', e.currentTarget.value)}
              error={errors['audience']}
            />
            <MultiSelect
              label="Algorithms"
              description="Public-key ones, or HMAC (HS…) ones: not both"
              data={[...TOKEN_ALGORITHMS]}
              value={form.algorithms}
              onChange={(v) => set('algorithms', v as TokenAlgorithm[])}
              error={errors['algorithms'] ?? Object.values(errorsUnder(errors, 'algorithms.'))[0]}
            />
          </SimpleGrid>
          <Textarea
            label="Keys"
            description='A JWK or a JWK set ({"keys": [...]}): public keys, or an oct key for HMAC (shown only by its fingerprint afterwards)'
            placeholder='{"kty": "OKP", "crv": "Ed25519", "x": "…"}'
            autosize
            minRows={3}
            maxRows={12}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            value={form.keys}
            onChange={(e) => set('keys', e.currentTarget.value)}
            error={keysProblem ?? keysError(errors, sentKeys)}
          />
          <ProblemAlert problem={add.error ?? remove.error} fields={ISSUER_FIELDS} />
          <Group>
            <Button type="submit" size="xs" loading={add.isPending}>
              Add issuer
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
