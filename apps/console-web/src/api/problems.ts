import type { ApiErrorBody } from '@rustronaut/api-client';

/** An error the API answered (docs/errors.md), as the console shows it. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** Someone else changed it since it was loaded (If-Match lost the race). */
  get conflict(): boolean {
    return this.code === 'EVENTSTORE_CONCURRENCY_CONFLICT' || this.status === 412;
  }
}

/** The data of a successful answer; an error answer becomes an ApiProblem. */
export async function answer<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error as Partial<ApiErrorBody> | undefined)?.error;
  throw new ApiProblem(
    response.status,
    body?.code ?? `HTTP_${response.status}`,
    body?.message ?? `${response.status} ${response.statusText}`,
    body?.details as Record<string, unknown> | undefined,
  );
}

/**
 * The API's validation errors by form field: `details.issues[].field` is `body.targets.0.address`
 * (as the client sent it); forms name their fields without the `body.`/`query.` part. Several
 * messages for one field are joined.
 */
export function fieldErrors(problem: unknown): Record<string, string> {
  if (!(problem instanceof ApiProblem)) return {};
  const issues = problem.details?.['issues'];
  if (!Array.isArray(issues)) return {};
  const errors: Record<string, string> = {};
  for (const issue of issues as { field?: unknown; message?: unknown }[]) {
    if (typeof issue.field !== 'string' || typeof issue.message !== 'string') continue;
    const field = issue.field.replace(/^(body|query)\.?/, '') || '_';
    errors[field] = errors[field] ? `${errors[field]}; ${issue.message}` : issue.message;
  }
  return errors;
}

/** The errors of the fields under `prefix` (`targets.0.`), renamed without it. */
export function errorsUnder(errors: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(errors)
      .filter(([field]) => field.startsWith(prefix))
      .map(([field, message]) => [field.slice(prefix.length), message]),
  );
}

/** The message of a problem that no field shows (the form's own alert). */
export function formMessage(problem: unknown, shownFields: readonly string[]): string | undefined {
  if (!problem) return undefined;
  if (!(problem instanceof ApiProblem)) return (problem as Error).message ?? String(problem);
  const errors = fieldErrors(problem);
  const unshown = Object.entries(errors).filter(
    ([field]) => !shownFields.some((f) => field === f || field.startsWith(`${f}.`)),
  );
  if (Object.keys(errors).length && !unshown.length) return 'Check the fields marked below.';
  return unshown.length ? unshown.map(([f, m]) => `${f}: ${m}`).join('; ') : problem.message;
}
