// Schema migrations, applied in order at start under an advisory lock so that several gateway
// instances starting together apply each migration once. Never edit a released migration; add one.
import type { Db } from './db.js';

const MIGRATION_LOCK = 7_352_001;

const MIGRATIONS: { id: number; name: string; sql: string }[] = [
  {
    id: 1,
    name: 'dossier path',
    sql: `
CREATE TABLE dossiers (
  code text PRIMARY KEY,
  agency_code text NOT NULL,
  partner_id text NOT NULL,
  status text NOT NULL,
  body jsonb NOT NULL,
  body_sha256 text NOT NULL,
  last_event_sequence integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_agency ON dossiers (agency_code);

CREATE TABLE dossier_events (
  dossier_code text NOT NULL REFERENCES dossiers (code),
  sequence integer NOT NULL,
  status text NOT NULL,
  body jsonb NOT NULL,
  body_sha256 text NOT NULL,
  message_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dossier_code, sequence)
);

-- Per (destination, order key) counters give each outbound message its place in line.
CREATE TABLE order_counters (
  destination text NOT NULL,
  order_key text NOT NULL,
  last_seq integer NOT NULL,
  PRIMARY KEY (destination, order_key)
);

-- The delivery state of every outbound message. This table, not Redis, is the truth.
CREATE TABLE messages (
  id uuid PRIMARY KEY,
  destination text NOT NULL,
  kind text NOT NULL,
  partner_id text NOT NULL,
  dossier_code text,
  agency_code text,
  order_key text NOT NULL,
  order_seq integer NOT NULL,
  lane text NOT NULL DEFAULT 'live',
  batch_key text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  outcome_note text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (destination, order_key, order_seq)
);
CREATE INDEX messages_open ON messages (destination, lane, batch_key, created_at) WHERE state IN ('pending', 'failed');
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state IN ('pending', 'failed');
CREATE INDEX messages_dossier ON messages (dossier_code);

-- Message log, record format v1 (docs/message-log.md). Append-only; the auditors' Merkle log is built over it.
CREATE TABLE message_log (
  seq bigserial PRIMARY KEY,
  record_version smallint NOT NULL DEFAULT 1,
  at timestamptz NOT NULL DEFAULT now(),
  direction text NOT NULL,
  partner_id text,
  endpoint text NOT NULL,
  dossier_code text,
  message_id uuid,
  body_sha256 text,
  outcome text NOT NULL,
  error_code text,
  attempt integer
);
CREATE INDEX message_log_message ON message_log (message_id);
CREATE INDEX message_log_dossier ON message_log (dossier_code);

CREATE TABLE idempotency_keys (
  partner_id text NOT NULL,
  key text NOT NULL,
  request_sha256 text NOT NULL,
  status_code integer NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner_id, key)
);

CREATE TABLE files (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL,
  name text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL,
  sha256 text NOT NULL,
  content bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    id: 2,
    name: 'signatures in the message log',
    sql: `
CREATE TABLE certificates (
  fingerprint text PRIMARY KEY,
  der bytea NOT NULL,
  subject text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Record format v2 (docs/message-log.md): v1 plus the message signature and the signer's chain.
ALTER TABLE message_log ALTER COLUMN record_version SET DEFAULT 2;
ALTER TABLE message_log ADD COLUMN signature_format text;
ALTER TABLE message_log ADD COLUMN signature text;
ALTER TABLE message_log ADD COLUMN signer_key_id text;
ALTER TABLE message_log ADD COLUMN signer_chain text[];
`,
  },
  {
    id: 3,
    name: 'auditors log',
    sql: `
-- Message bodies, apart from the log so that retention can prune them; the log keeps a salted commitment.
ALTER TABLE message_log ADD COLUMN body_commitment text;
CREATE TABLE audit_bodies (
  log_seq bigint PRIMARY KEY,
  salt bytea,
  body bytea,
  pruned_at timestamptz,
  CHECK ((pruned_at IS NULL) = (body IS NOT NULL AND salt IS NOT NULL))
);
CREATE INDEX message_log_partner ON message_log (partner_id, seq);

-- The Merkle tree over the log (docs/audit-log.md). Written only by the integrator, under its advisory lock.
CREATE TABLE audit_leaves (
  leaf_index bigint PRIMARY KEY,
  log_seq bigint NOT NULL UNIQUE,
  leaf bytea NOT NULL,
  leaf_hash bytea NOT NULL
);
CREATE TABLE audit_nodes (
  level smallint NOT NULL,
  index bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (level, index)
);
CREATE TABLE audit_checkpoints (
  tree_size bigint PRIMARY KEY,
  root_hash bytea NOT NULL,
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_cosignatures (
  tree_size bigint NOT NULL REFERENCES audit_checkpoints (tree_size),
  witness text NOT NULL,
  line text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tree_size, witness)
);
`,
  },
  {
    id: 4,
    name: 'trace context of messages',
    sql: `
-- The W3C traceparent of the request that caused the message; outbound calls continue its trace.
ALTER TABLE messages ADD COLUMN traceparent text;
`,
  },
  {
    id: 5,
    name: 'postal shipments',
    sql: `
-- Postal public service shipments (docs/postal.md). order_state follows the order at the operator;
-- status is the canonical status its reports brought, null until the first one.
CREATE TABLE shipments (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL,
  kind text NOT NULL,
  dossier_code text NOT NULL,
  order_number text NOT NULL UNIQUE,
  request jsonb NOT NULL,
  order_state text NOT NULL DEFAULT 'pending',
  status text,
  item_code text,
  order_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipments_open ON shipments (updated_at) WHERE order_state = 'created' AND status IS DISTINCT FROM 'delivered' AND status IS DISTINCT FROM 'returned' AND status IS DISTINCT FROM 'cancelled';
CREATE INDEX shipments_dossier ON shipments (dossier_code);

-- Every report seen, by poll or push, once: the trail. disposition says what it did to the shipment.
CREATE TABLE shipment_events (
  shipment_id uuid NOT NULL REFERENCES shipments (id),
  event_key text NOT NULL,
  status text NOT NULL,
  operator_code text NOT NULL,
  at timestamptz NOT NULL,
  report jsonb NOT NULL,
  disposition text NOT NULL,
  source text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (shipment_id, event_key)
);
`,
  },
  {
    id: 6,
    name: 'payments',
    sql: `
-- Fee payments (docs/payments.md). state: creating, pending, paid, failed, expired.
CREATE TABLE payments (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL,
  dossier_code text NOT NULL,
  provider text NOT NULL,
  amount bigint NOT NULL,
  lines jsonb NOT NULL,
  payer jsonb NOT NULL,
  return_url text NOT NULL,
  payment_url text,
  state text NOT NULL DEFAULT 'creating',
  provider_txn_id text,
  bank_code text,
  paid_at timestamptz,
  expires_at timestamptz NOT NULL,
  receipt bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_dossier ON payments (dossier_code);
CREATE INDEX payments_pending ON payments (created_at) WHERE state = 'pending';
CREATE INDEX payments_paid_day ON payments (provider, paid_at) WHERE state = 'paid';

-- A fee line of a dossier is paid once: the key refuses a second charge for it.
CREATE TABLE paid_fees (
  dossier_code text NOT NULL,
  fee_code text NOT NULL,
  payment_id uuid NOT NULL REFERENCES payments (id),
  PRIMARY KEY (dossier_code, fee_code)
);

CREATE TABLE reconciliations (
  id uuid PRIMARY KEY,
  provider text NOT NULL,
  day date NOT NULL,
  report jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliations_day ON reconciliations (provider, day);
`,
  },
  {
    id: 7,
    name: 'national portal catalogues',
    sql: `
-- The gateway's copy of the national portal's catalogues (docs/portal-compatible.md): one row per
-- entry as the portal gave it (json, not jsonb: its text and key order are kept), in the portal's
-- order. A refresh replaces a catalogue whole.
CREATE TABLE portal_catalogue_items (
  service text NOT NULL,
  item_key text NOT NULL,
  position integer NOT NULL,
  item json NOT NULL,
  PRIMARY KEY (service, item_key)
);
-- The portal's protocol lets a dossier update change the status; the next event with that status
-- is then read as the step that made the change (src/dossiers/accept.ts).
ALTER TABLE dossiers ADD COLUMN status_updated_from text;
CREATE TABLE portal_catalogue_refreshes (
  service text PRIMARY KEY,
  refreshed_at timestamptz NOT NULL,
  items integer NOT NULL
);
`,
  },
  {
    id: 8,
    name: 'edxml',
    sql: `
-- edXML packages that reached POST /v1/edxml (docs/edxml.md), accepted or refused. A refused one keeps
-- only who sent it, the DocumentId it claimed and why it was refused: never its content.
CREATE TABLE edxml_packages (
  id uuid PRIMARY KEY,
  kind text NOT NULL,
  document_id text,
  partner_id text NOT NULL,
  from_organ_id text,
  to_organ_ids text[] NOT NULL DEFAULT '{}',
  status_code text,
  state text NOT NULL,
  refusal_code text,
  refusal_reason text,
  envelope text,
  header jsonb,
  attachments jsonb NOT NULL DEFAULT '[]',
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX edxml_packages_document ON edxml_packages (document_id, received_at);

-- One row per receiver of an accepted package: pushed through the messages queue (same id), or
-- kept in the receiving system's inbox until it acknowledges.
CREATE TABLE edxml_deliveries (
  id uuid PRIMARY KEY,
  package_id uuid NOT NULL REFERENCES edxml_packages (id),
  organ_id text NOT NULL,
  partner_id text NOT NULL,
  mode text NOT NULL,
  acknowledged_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX edxml_deliveries_package ON edxml_deliveries (package_id);
CREATE INDEX edxml_inbox ON edxml_deliveries (partner_id, created_at) WHERE mode = 'inbox' AND acknowledged_at IS NULL;

-- The agency that holds a one-stop dossier after a hand-over its system accepted (status 03).
CREATE TABLE dossier_holders (
  dossier_code text PRIMARY KEY,
  agency_code text NOT NULL,
  partner_id text NOT NULL,
  document_id text NOT NULL,
  since timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    id: 9,
    name: 'reconciliation jobs',
    sql: `
-- A reconciliation asked for through the API, run by a worker (docs/payments.md). The report, once
-- done, is the reconciliations row of the same id. One queued or running job per provider and day.
CREATE TABLE reconciliation_jobs (
  id uuid PRIMARY KEY,
  provider text NOT NULL,
  day date NOT NULL,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
  progress jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  -- The run that holds the job: a run that lost it (its lease ran out, another worker took over) can
  -- no longer write progress or a result.
  run_token uuid,
  lease_until timestamptz,
  error text,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE UNIQUE INDEX reconciliation_jobs_active ON reconciliation_jobs (provider, day) WHERE state IN ('queued', 'running');
CREATE INDEX reconciliation_jobs_open ON reconciliation_jobs (created_at) WHERE state IN ('queued', 'running');
`,
  },
  {
    id: 10,
    name: 'call manifests',
    sql: `
-- One signature per outbound call (docs/audit-log.md, "Call manifests"): the signed manifest is kept
-- once, and each item's record names it and its position in it.
CREATE TABLE call_manifests (
  sha256 text PRIMARY KEY,
  manifest bytea NOT NULL,
  signature text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE message_log ADD COLUMN manifest_sha256 text REFERENCES call_manifests (sha256);
ALTER TABLE message_log ADD COLUMN manifest_position integer;
`,
  },
  {
    id: 11,
    name: 'edxml attachments in the database',
    sql: `
-- edXML attachment bytes, shared by every gateway instance (docs/edxml.md, "Where attachments live").
-- Kept once per content, by SHA-256. The bytes are cut into parts of 1 MiB so that they are written
-- and read in pieces (streamed both ways, never a whole attachment in memory), and so that the store
-- move (lgsp-migrate-store) copies them in small batches.
CREATE TABLE edxml_attachments (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size bigint NOT NULL CHECK (size >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE edxml_attachment_parts (
  sha256 text NOT NULL REFERENCES edxml_attachments (sha256),
  position integer NOT NULL CHECK (position >= 0),
  bytes bytea NOT NULL,
  PRIMARY KEY (sha256, position)
);
`,
  },
];

export async function migrate(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await tx.query<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => r.id));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) {
        await tx.query(statement);
      }
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
    }
  });
}
