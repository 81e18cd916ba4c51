import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { answer } from '../api/problems';

export const useUsers = () =>
  useQuery({
    queryKey: ['users'],
    queryFn: () => answer(api.GET('/api/v1/users', { params: { query: { limit: 500 } } })),
  });
export const useGroups = () =>
  useQuery({
    queryKey: ['groups'],
    queryFn: () => answer(api.GET('/api/v1/groups', { params: { query: { limit: 500 } } })),
  });
export const usePolicies = () =>
  useQuery({
    queryKey: ['policies'],
    queryFn: () => answer(api.GET('/api/v1/policies', { params: { query: { limit: 500 } } })),
  });
