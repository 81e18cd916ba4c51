import { z } from 'zod';

/** Field schemas every message, event and request body of the platform shares. */
export const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a valid id');
export const EmailSchema = z.email().max(254);
export const NameSchema = z.string().trim().min(1).max(200);
export const PasswordSchema = z.string().min(10, 'must be at least 10 characters').max(1024);
