import { Alert, Button, Group, Image, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { toDataURL } from 'qrcode';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { answer, fieldErrors } from '../api/problems';
import { Copyable, PageHeader, ProblemAlert } from '../ui/parts';
import { PasskeysCard } from './passkeys';

/** Your account: two-factor sign-in with an authenticator app (scan the QR, confirm a code). */
export function AccountPage() {
  const queries = useQueryClient();
  const me = useQuery({ queryKey: ['me'], queryFn: () => answer(api.GET('/api/v1/me')) });
  const [code, setCode] = useState('');
  const [qr, setQr] = useState<string | undefined>();
  const setup = useMutation({ mutationFn: () => answer(api.POST('/api/v1/me/totp/setup')) });
  const enable = useMutation({
    mutationFn: () =>
      answer(api.POST('/api/v1/me/totp/enable', { body: { secret: setup.data!.secret, code } })),
    onSuccess: () => {
      setup.reset();
      return queries.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const disable = useMutation({
    mutationFn: () => answer(api.POST('/api/v1/me/totp/disable')),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['me'] }),
  });
  useEffect(() => {
    if (setup.data) void toDataURL(setup.data.otpauth_url, { margin: 1, width: 200 }).then(setQr);
  }, [setup.data]);
  const user = me.data?.user;
  return (
    <Stack>
      <PageHeader title="Your account" />
      {user && (
        <Text>
          {user.name} · {user.email} · {user.role}
        </Text>
      )}
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Two-factor sign-in
        </Title>
        {user?.totp_enabled ? (
          <Group>
            <Alert color="teal">On: sign-in asks for a code from your authenticator app.</Alert>
            <Button variant="subtle" color="red" onClick={() => disable.mutate()}>
              Turn off
            </Button>
          </Group>
        ) : setup.data ? (
          <form
            aria-label="Confirm two-factor sign-in"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              enable.mutate();
            }}
          >
            <Stack>
              <Text size="sm">Scan this with your authenticator app, then type the code it shows.</Text>
              {qr && <Image src={qr} w={200} alt="QR code of your two-factor secret" />}
              <Copyable value={setup.data.secret} label="two-factor secret" />
              <TextInput
                label="Code"
                inputMode="numeric"
                value={code}
                onChange={(e) => setCode(e.currentTarget.value)}
                error={fieldErrors(enable.error)['code']}
              />
              <Group>
                <Button type="submit" loading={enable.isPending}>
                  Turn on
                </Button>
              </Group>
              <ProblemAlert problem={enable.error} fields={['code', 'secret']} />
            </Stack>
          </form>
        ) : (
          <Button onClick={() => setup.mutate()} loading={setup.isPending}>
            Set up two-factor sign-in
          </Button>
        )}
        <ProblemAlert problem={setup.error ?? disable.error} />
      </Paper>
      <PasskeysCard />
    </Stack>
  );
}
