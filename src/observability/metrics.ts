// Prometheus metrics for the operator on call: traffic per route and partner, delivery outcomes and
// latency, and gauges read at scrape time (queue depth, open and dead messages, message-log size,
// the auditors' tree and the age of its latest signed checkpoint).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { treeSize } from '../audit/tree-store.js';
import type { Db } from '../store/db.js';
import type { Lane } from '../store/messages.js';

/** Certificates and CRLs whose end the operator must see coming (src/crypto/trust-store.ts and the signing key). */
export interface ValiditySource {
  validityEnds(): { certificates: { subject: string; notAfter: Date }[]; crls: { issuer: string; nextUpdate: Date | undefined }[] };
}

export interface QueueDepthSource {
  depth(): Promise<Record<Lane, Record<string, number>>>;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Histogram<'route' | 'method' | 'status' | 'partner'>;
  readonly deliveries: Counter<'destination' | 'outcome'>;
  readonly deliveryLatency: Histogram<'destination'>;
  readonly signatureFailures: Counter<'code'>;
  readonly paymentAlerts: Counter<'kind'>;
  readonly reconciliationMismatches: Counter<'provider'>;
  readonly refusals: Counter<'code'>;
  readonly refusalsUnlogged: Counter<'code'>;

  constructor() {
    // The default metrics' names already start with process_ or nodejs_; the prefix only adds ours.
    collectDefaultMetrics({ register: this.registry, prefix: 'lgsp_' });
    this.httpRequests = new Histogram({
      name: 'lgsp_http_request_duration_seconds',
      help: 'HTTP requests by route template, method, status and partner',
      labelNames: ['route', 'method', 'status', 'partner'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.deliveries = new Counter({
      name: 'lgsp_delivery_attempts_total',
      help: 'Delivery attempts by destination and outcome (delivered, failed, dead)',
      labelNames: ['destination', 'outcome'],
      registers: [this.registry],
    });
    this.deliveryLatency = new Histogram({
      name: 'lgsp_delivery_latency_seconds',
      help: 'From acceptance to confirmed delivery',
      labelNames: ['destination'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [this.registry],
    });
    this.paymentAlerts = new Counter({
      name: 'lgsp_payment_alerts_total',
      help: 'Payment notifications refused, and double payments that need a refund',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    this.reconciliationMismatches = new Counter({
      name: 'lgsp_reconciliation_mismatches_total',
      help: 'Reconciliation lines missing on either side or with another amount',
      labelNames: ['provider'],
      registers: [this.registry],
    });
    this.refusals = new Counter({
      name: 'lgsp_refusals_total',
      help: 'Refused writes and callbacks, by code, whether or not the message log recorded each one',
      labelNames: ['code'],
      registers: [this.registry],
    });
    this.refusalsUnlogged = new Counter({
      name: 'lgsp_refusals_unlogged_total',
      help: 'Refusals past the per-minute sample, counted here and summarised in the message log',
      labelNames: ['code'],
      registers: [this.registry],
    });
    this.signatureFailures = new Counter({
      name: 'lgsp_signature_failures_total',
      help: 'Partner messages refused for their signature or certificate, by problem code',
      labelNames: ['code'],
      registers: [this.registry],
    });
  }

  /** Seconds until certificates expire and CRLs pass their next update (negative once past), read at scrape time. */
  watchValidity(source: ValiditySource, signingCertificates: () => readonly { subject: string; validTo: string }[]): void {
    new Gauge({
      name: 'lgsp_certificate_expiry_seconds',
      help: 'Seconds until a certificate expires: the gateway signing chain (role="signing") and the trust store (role="trust")',
      labelNames: ['role', 'subject'],
      registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const c of signingCertificates()) this.set({ role: 'signing', subject: c.subject.replace(/\n/g, ', ') }, (Date.parse(c.validTo) - now) / 1000);
        for (const c of source.validityEnds().certificates) this.set({ role: 'trust', subject: c.subject }, (c.notAfter.getTime() - now) / 1000);
      },
    });
    new Gauge({
      name: 'lgsp_crl_next_update_seconds',
      help: "Seconds until a CA's newest CRL reaches its next update (negative: stale; a CRL without one counts as stale)",
      labelNames: ['issuer'],
      registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const c of source.validityEnds().crls) this.set({ issuer: c.issuer }, c.nextUpdate ? (c.nextUpdate.getTime() - now) / 1000 : -1);
      },
    });
  }

  /** Gauges that ask the database and the queues when Prometheus scrapes, not on every request. */
  watch(db: Db, queues: QueueDepthSource): void {
    new Gauge({
      name: 'lgsp_queue_jobs',
      help: 'BullMQ jobs by lane and state',
      labelNames: ['lane', 'state'],
      registers: [this.registry],
      async collect() {
        const depth = await queues.depth().catch(() => undefined);
        if (!depth) return;
        for (const [lane, counts] of Object.entries(depth)) for (const [state, n] of Object.entries(counts)) this.set({ lane, state }, n);
      },
    });
    new Gauge({
      name: 'lgsp_messages',
      help: 'Outbound messages not yet delivered, by destination and state (dead = dead letters)',
      labelNames: ['destination', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await db.query<{ destination: string; state: string; n: number }>(
          `SELECT destination, state, count(*)::int AS n FROM messages WHERE state IN ('pending', 'failed', 'dead') GROUP BY 1, 2`,
        );
        for (const r of rows) this.set({ destination: r.destination, state: r.state }, r.n);
      },
    });
    new Gauge({
      name: 'lgsp_oldest_open_message_age_seconds',
      help: 'Age of the oldest message not yet delivered (pending or failed), by destination: the delivery lag',
      labelNames: ['destination'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await db.query<{ destination: string; age: number }>(
          `SELECT destination, extract(epoch FROM now() - min(created_at))::float8 AS age FROM messages WHERE state IN ('pending', 'failed') GROUP BY 1`,
        );
        for (const r of rows) this.set({ destination: r.destination }, Math.max(0, r.age));
      },
    });
    new Gauge({
      name: 'lgsp_message_log_records',
      help: 'Records in the message log',
      registers: [this.registry],
      async collect() {
        const [row] = await db.query<{ n: number }>('SELECT coalesce(max(seq), 0)::float8 AS n FROM message_log');
        this.set(row?.n ?? 0);
      },
    });
    new Gauge({
      name: 'lgsp_audit_log_tree_size',
      help: "Leaves in the auditors' Merkle tree (message-log records integrated by the log writer)",
      registers: [this.registry],
      async collect() {
        this.set(await treeSize(db));
      },
    });
    // Age rather than a timestamp, so an alert is a plain threshold: it grows while records wait
    // uncovered, or while no log writer runs at all.
    const latestCheckpoint = () =>
      db.query<{ size: number; age: number }>(
        'SELECT c.tree_size::float8 AS size, extract(epoch FROM now() - c.created_at)::float8 AS age FROM audit_checkpoints c ORDER BY c.tree_size DESC LIMIT 1',
      );
    new Gauge({
      name: 'lgsp_audit_checkpoint_tree_size',
      help: 'Tree size covered by the latest signed checkpoint',
      registers: [this.registry],
      async collect() {
        const [row] = await latestCheckpoint();
        this.set(row?.size ?? 0);
      },
    });
    new Gauge({
      name: 'lgsp_audit_checkpoint_age_seconds',
      help: 'Seconds since the latest signed checkpoint (NaN before the first one)',
      registers: [this.registry],
      async collect() {
        const [row] = await latestCheckpoint();
        this.set(row ? Math.max(0, row.age) : NaN);
      },
    });
  }
}
