// What the reconciliation routes answer: the report (as the synchronous call used to return it) and
// the job that makes it, with its progress.
import { Type, type Static } from '@sinclair/typebox';

const Money = Type.Union([Type.Number(), Type.Null()]);
const Text = Type.Union([Type.String(), Type.Null()]);

const Line = Type.Object({ paymentId: Type.String(), providerTransaction: Text, gatewayAmount: Money, providerAmount: Money, paidAt: Text });

export const ReconciliationReportSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  provider: Type.String(),
  day: Type.String({ description: 'A day in Vietnam time (UTC+7)' }),
  createdAt: Type.String({ format: 'date-time' }),
  summary: Type.Object({ matched: Type.Integer(), missingAtProvider: Type.Integer(), missingAtGateway: Type.Integer(), amountMismatches: Type.Integer(), mismatches: Type.Integer() }),
  matched: Type.Array(Line),
  missingAtProvider: Type.Array(Line),
  missingAtGateway: Type.Array(Line),
  amountMismatches: Type.Array(Line),
});

export const ReconciliationProgressSchema = Type.Object({
  stepsDone: Type.Integer({ description: 'Of stepsTotal: the gateway payments read, the day statement, the next day statement, compared' }),
  stepsTotal: Type.Integer(),
  gatewayPayments: Type.Optional(Type.Integer({ description: "The gateway's paid payments read so far (the day and the evening before); absent for a report of the daily run" })),
  providerTransactions: Type.Optional(Type.Integer({ description: "The provider's statement lines read so far (the day and the next day); absent for a report of the daily run" })),
});

export const ReconciliationStateSchema = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]);

export const ReconciliationJobSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  provider: Type.String(),
  day: Type.String(),
  state: ReconciliationStateSchema,
  progress: ReconciliationProgressSchema,
  /** Runs started: more than one when a worker stopped during the job and another took it up. */
  attempts: Type.Integer({ description: 'Runs started; above 1 when a worker stopped mid-job and the job was run again from the start' }),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  error: Type.Optional(Type.String({ description: 'Why a failed job failed' })),
  result: Type.Optional(ReconciliationReportSchema),
});

export type ReconciliationJob = Static<typeof ReconciliationJobSchema>;
