// A refused request lists every problem, capped, and for enums and unions of literals the allowed values.
import Fastify from 'fastify';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AJV_OPTIONS } from '../../src/app.js';
import problems from '../../src/plugins/problems.js';
import { MAX_LISTED_ERRORS } from '../../src/plugins/validation-errors.js';

describe('validation errors', () => {
  const app = Fastify({ ajv: { customOptions: AJV_OPTIONS } });
  beforeAll(async () => {
    await app.register(problems, { refusals: { record: async () => undefined } as never });
    const body = Type.Object(
      {
        lane: Type.Union([Type.Literal('live'), Type.Literal('bulk')]),
        status: Type.String({ enum: ['RECEIVED', 'PROCESSING'] }),
        code: Type.String({ maxLength: 5 }),
        tags: Type.Optional(Type.Array(Type.Integer(), { maxItems: 100 })),
      },
      { additionalProperties: false },
    );
    app.post('/things', { schema: { body } }, async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(() => app.close());

  const post = async (payload: Record<string, unknown>) => (await app.inject({ method: 'POST', url: '/things', payload })).json();

  it('lists every problem of the body, with the allowed values of enums and literal unions', async () => {
    const problem = await post({ lane: 'fast', status: 'DONE', code: 'TOO-LONG', extra: 1 });
    expect(problem.code).toBe('invalid-request');
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: '/lane', message: 'must be equal to one of the allowed values', keyword: 'enum', allowedValues: ['live', 'bulk'] },
        expect.objectContaining({ path: '/status', keyword: 'enum', allowedValues: ['RECEIVED', 'PROCESSING'] }),
        expect.objectContaining({ path: '/code', keyword: 'maxLength' }),
        expect.objectContaining({ keyword: 'additionalProperties' }),
      ]),
    );
    expect(problem.errors).toHaveLength(4);
  });

  it(`caps the list at ${MAX_LISTED_ERRORS}`, async () => {
    const problem = await post({ lane: 'live', status: 'RECEIVED', code: 'A', tags: Array.from({ length: 60 }, () => 'x') });
    expect(problem.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(problem.errors[0]).toEqual(expect.objectContaining({ path: '/tags/0', keyword: 'type' }));
  });
});
