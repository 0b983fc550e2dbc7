import { Type } from '@sinclair/typebox';

/** RFC 9457 problem details as our /v1 routes send them (application/problem+json). */
export const ProblemResponse = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable error code; see docs/errors.md' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'Problem' },
);
