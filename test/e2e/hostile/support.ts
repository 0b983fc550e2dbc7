// What every hostile-input test checks after a refusal: nothing was stored (no dossier, event, file,
// shipment, payment or outbound message, no accepted record or kept body in the message log) and
// nothing was sent (no call reached the national portal simulator).
import { expect } from 'vitest';
import type { TestGateway } from '../../support/gateway.js';

export interface Footprint {
  dossiers: number;
  events: number;
  files: number;
  shipments: number;
  shipmentEvents: number;
  payments: number;
  messages: number;
  acceptedRecords: number;
  keptBodies: number;
  portalCalls: number;
}

export async function footprint(gw: TestGateway): Promise<Footprint> {
  const [row] = await gw.gateway.db.query<Omit<Footprint, 'portalCalls'>>(
    `SELECT (SELECT count(*)::int FROM dossiers) AS dossiers, (SELECT count(*)::int FROM dossier_events) AS events,
            (SELECT count(*)::int FROM files) AS files, (SELECT count(*)::int FROM shipments) AS shipments,
            (SELECT count(*)::int FROM shipment_events) AS "shipmentEvents", (SELECT count(*)::int FROM payments) AS payments,
            (SELECT count(*)::int FROM messages) AS messages,
            (SELECT count(*)::int FROM message_log WHERE outcome <> 'refused') AS "acceptedRecords",
            (SELECT count(*)::int FROM audit_bodies) AS "keptBodies"`,
  );
  return { ...row!, portalCalls: gw.sim.calls.length };
}

/** Runs the attack and checks it left no trace but (at most) a metadata-only refusal record. */
export async function leavesNoTrace<T>(gw: TestGateway, attack: () => Promise<T>): Promise<T> {
  const before = await footprint(gw);
  const result = await attack();
  expect(await footprint(gw)).toEqual(before);
  const [bodies] = await gw.gateway.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM message_log WHERE outcome = 'refused' AND body_sha256 IS NOT NULL`);
  expect(bodies!.n).toBe(0);
  return result;
}

export function expectProblem(response: { status: number; headers: Record<string, unknown>; body: any }, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body?.code).toBe(code);
}
