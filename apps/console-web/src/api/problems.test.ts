import { describe, expect, it } from 'vitest';
import { ApiProblem, answer, errorsUnder, fieldErrors, formMessage } from './problems';

const validation = (issues: { field: string; message: string }[]) =>
  new ApiProblem(400, 'VALIDATION_FAILED', issues.map((i) => `${i.field}: ${i.message}`).join('; '), {
    issues,
  });

describe('the API validation errors, by form field', () => {
  it('names each field as the form does (without body./query.), joining two messages of one field', () => {
    const sut = fieldErrors(
      validation([
        { field: 'body.name', message: 'Too small' },
        { field: 'body.targets.0.address', message: 'is not an address such as 10.1.0.100:80' },
        { field: 'query.limit', message: 'Too big' },
        { field: 'body.name', message: 'must not be blank' },
      ]),
    );
    expect(sut).toEqual({
      name: 'Too small; must not be blank',
      'targets.0.address': 'is not an address such as 10.1.0.100:80',
      limit: 'Too big',
    });
  });

  it('has no field errors for other problems or malformed details', () => {
    expect(fieldErrors(new ApiProblem(409, 'POLICY_DOMAIN_TAKEN', 'taken'))).toEqual({});
    expect(fieldErrors(new ApiProblem(400, 'VALIDATION_FAILED', 'x', { issues: 'nope' }))).toEqual({});
    expect(fieldErrors(new ApiProblem(400, 'VALIDATION_FAILED', 'x', { issues: [{ field: 3 }] }))).toEqual(
      {},
    );
    expect(fieldErrors(new Error('network'))).toEqual({});
  });

  it('gives the errors of one list item renamed to its own fields', () => {
    const errors = { 'targets.1.address': 'bad', 'targets.10.weight': 'x', name: 'y' };
    expect(errorsUnder(errors, 'targets.1.')).toEqual({ address: 'bad' });
  });

  it('points at the fields when all errors are shown beside them, and names the rest', () => {
    const problem = validation([
      { field: 'body.name', message: 'Too small' },
      { field: 'body.max_body_bytes', message: 'Too big' },
    ]);
    expect(formMessage(problem, ['name', 'max_body_bytes'])).toBe('Check the fields marked below.');
    expect(formMessage(problem, ['name'])).toBe('max_body_bytes: Too big');
    expect(
      formMessage(new ApiProblem(409, 'POLICY_DOMAIN_TAKEN', 'app.example.com is taken'), ['name']),
    ).toBe('app.example.com is taken');
  });

  it('says a lost If-Match race is a conflict', () => {
    expect(new ApiProblem(409, 'EVENTSTORE_CONCURRENCY_CONFLICT', 'changed').conflict).toBe(true);
    expect(new ApiProblem(409, 'POLICY_DOMAIN_TAKEN', 'taken').conflict).toBe(false);
  });

  it('turns an error answer into an ApiProblem with the API code and message', async () => {
    const response = new Response('{}', { status: 409, statusText: 'Conflict' });
    await expect(
      answer(Promise.resolve({ error: { error: { status: 409, code: 'X_Y', message: 'no' } }, response })),
    ).rejects.toMatchObject({ status: 409, code: 'X_Y', message: 'no' });
    await expect(answer(Promise.resolve({ data: { ok: 1 }, response: new Response('{}') }))).resolves.toEqual(
      { ok: 1 },
    );
  });
});
