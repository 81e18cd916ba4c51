import { Center, Loader } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api, signInUrl } from '../api/client';
import { answer } from '../api/problems';

/** Who is signed in on this browser (the session cookie); the pages need someone. */
export const useSession = () =>
  useQuery({
    queryKey: ['session'],
    queryFn: () => answer(api.GET('/api/v1/auth/session')),
    staleTime: 60_000,
  });

export function RequireSession({ children }: { children: ReactNode }) {
  const location = useLocation();
  const session = useSession();
  if (session.isPending)
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (session.isError) return <Navigate to={signInUrl(location.pathname + location.search)} replace />;
  return children;
}
