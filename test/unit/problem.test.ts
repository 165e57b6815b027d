import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toProblem } from '../../src/http/problem.js';
import {
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  IdempotencyInProgressError,
  InternalError,
  NotFoundError,
  TokenExpiredError,
  ValidationError,
  VersionMismatchError,
} from '../../src/lib/errors.js';

function fastifyError(code: string, statusCode: number, message = code): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

function zodValidationError(): Error {
  const validate = validatorCompiler({
    schema: z.strictObject({ title: z.string(), price: z.number().min(0) }),
    method: 'POST',
    url: '/v1/things',
  });
  const result = validate({ title: 5, price: -1 }) as { error?: unknown[] };
  return Object.assign(new Error('body/title invalid'), {
    code: 'FST_ERR_VALIDATION',
    statusCode: 400,
    validation: result.error,
    validationContext: 'body',
  });
}

describe('toProblem', () => {
  it('maps catalogue errors to their status and code, with type, title and instance', () => {
    const { problem, headers, log } = toProblem(new NotFoundError('Crafter'), 'req-1');
    expect(problem).toEqual({
      type: 'urn:kriya-sync:problem:not_found',
      title: 'Not Found',
      status: 404,
      code: 'not_found',
      detail: 'Crafter was not found.',
      detail_id: 'Crafter tidak ditemukan.',
      instance: 'req-1',
    });
    expect(headers).toEqual({});
    expect(log).toBe(false);
  });

  it.each([
    [new ForbiddenError(), 403, 'forbidden'],
    [new TokenExpiredError(), 401, 'token_expired'],
    [new ConflictError('username_taken', 'taken'), 409, 'username_taken'],
    [new VersionMismatchError(3), 412, 'version_mismatch'],
    [new ValidationError('bad', { issues: [{ path: 'body.x', message: 'no' }] }), 400, 'validation_failed'],
  ])('%s → %i %s', (err, status, code) => {
    const { problem } = toProblem(err, 'r');
    expect(problem.status).toBe(status);
    expect(problem.code).toBe(code);
  });

  it('keeps field issues of validation errors', () => {
    const { problem } = toProblem(
      new ValidationError('bad', { issues: [{ path: 'body.x', message: 'no' }] }),
      'r',
    );
    expect(problem.errors).toEqual([{ path: 'body.x', message: 'no' }]);
  });

  it('turns retryAfterMs into a whole-second Retry-After header', () => {
    expect(toProblem(new IdempotencyInProgressError(), 'r').headers).toEqual({ 'retry-after': '1' });
  });

  it('never shows the text of a 5xx, and logs it', () => {
    const internal = toProblem(new InternalError('db password is hunter2'), 'r');
    expect(internal.problem.status).toBe(500);
    expect(internal.problem.detail).not.toContain('hunter2');
    expect(internal.log).toBe(true);
    const unknown = toProblem(new Error('SELECT * FROM users leaked'), 'r');
    expect(unknown.problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(JSON.stringify(unknown.problem)).not.toContain('leaked');
  });

  it('shows the text of dependency_unavailable, which names what is down', () => {
    const { problem } = toProblem(new DependencyUnavailableError('Redis is not answering'), 'r');
    expect(problem).toMatchObject({
      status: 503,
      code: 'dependency_unavailable',
      detail: 'Redis is not answering',
    });
  });

  it('maps zod schema validation to 400 validation_failed with a path per issue', () => {
    const { problem, log } = toProblem(zodValidationError(), 'r');
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['body.price', 'body.title']);
    expect(log).toBe(false);
  });

  it.each([
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'malformed_body'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, 'malformed_body'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'unsupported_media_type'],
  ])('Fastify %s → %i %s', (fstCode, fstStatus, status, code) => {
    const { problem } = toProblem(fastifyError(fstCode, fstStatus), 'r');
    expect(problem.status).toBe(status);
    expect(problem.code).toBe(code);
  });

  it.each([
    ['23505', 409, 'conflict'],
    ['23503', 409, 'reference_invalid'],
    ['23514', 400, 'validation_failed'],
    ['22P02', 400, 'validation_failed'],
    ['22021', 400, 'malformed_body'],
  ])('Postgres SQLSTATE %s → %i %s, without the database text', (sqlState, status, code) => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint "secret_idx"'), {
      code: sqlState,
    });
    const { problem } = toProblem(err, 'r');
    expect(problem.status).toBe(status);
    expect(problem.code).toBe(code);
    expect(problem.detail).not.toContain('secret_idx');
  });

  it.each([['ECONNREFUSED'], ['CONNECTION_ENDED'], ['CONNECT_TIMEOUT'], ['57P03'], ['08006']])(
    'an unreachable database (%s) is 503 dependency_unavailable with Retry-After, also when wrapped',
    (code) => {
      const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code });
      const wrapped = new Error('Failed query: select ...', { cause });
      const { problem, headers, log } = toProblem(wrapped, 'r');
      expect(problem).toMatchObject({ status: 503, code: 'dependency_unavailable' });
      expect(problem.detail).not.toContain('10.0.0.5');
      expect(headers['retry-after']).toBe('5');
      expect(log).toBe(true);
    },
  );

  it('an unknown Postgres error stays a hidden 500', () => {
    const { problem } = toProblem(Object.assign(new Error('deadlock'), { code: '40P01' }), 'r');
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('other 4xx errors keep their status; 429 becomes rate_limited with Retry-After', () => {
    expect(toProblem(fastifyError('FST_ERR_SOMETHING', 405), 'r').problem).toMatchObject({
      status: 405,
      code: 'bad_request',
    });
    const limited = toProblem(Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 }), 'r');
    expect(limited.problem).toMatchObject({ status: 429, code: 'rate_limited', title: 'Too Many Requests' });
    expect(limited.headers['retry-after']).toBe('60');
  });
});
