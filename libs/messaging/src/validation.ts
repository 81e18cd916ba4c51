import type { z } from 'zod';
import { MessagingError, MessagingErrorCode } from './errors';

export interface FieldIssue {
  field: string;
  message: string;
}

/** Parses a payload with its schema; on failure, a VALIDATION_FAILED error naming every field. */
export function parseRequest<S extends z.ZodType>(schema: S, payload: unknown, fieldPrefix = ''): z.infer<S> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({
    field: fieldPrefix + (issue.path.length ? issue.path.join('.') : '(body)'),
    message: issue.message,
  }));
  throw new MessagingError(
    MessagingErrorCode.ValidationFailed,
    issues.map((i) => `${i.field}: ${i.message}`).join('; '),
    { details: { issues } },
  );
}
