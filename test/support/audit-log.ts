// An auditors' log without a gateway: a migrated database, the log writer with a fresh log key, and
// message-log records appended the way the gateway appends them (signed by a test partner or by the
// gateway's signer), for the tests of the verifiers.
import pino from 'pino';
import { buildBundle, type EvidenceBundle } from '../../src/audit/bundle.js';
import { CertificateCatalog } from '../../src/audit/certificates.js';
import { AuditLogWriter } from '../../src/audit/log-writer.js';
import type { LogKey } from '../../src/audit/log-key.js';
import { appendLog, type LogRecord } from '../../src/audit/message-log.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from '../../src/audit/note.js';
import { signDetachedJws } from '../../src/crypto/jws.js';
import type { SignatureRecord } from '../../src/crypto/partner-signature.js';
import type { Signer } from '../../src/crypto/signer.js';
import type { Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { testPki, type TestPki } from './pki.js';

export const AUDIT_ORIGIN = 'lgsp.test/audit-log';

export interface TestAuditLog {
  db: Db;
  pki: TestPki;
  key: LogKey;
  /** Integrates every pending record and signs a checkpoint over them. */
  integrate(): Promise<number>;
  /** A detached-JWS signature record of `signedBytes` by `signer`, its chain kept in the catalogue. */
  jws(signedBytes: Buffer, signer?: Signer): Promise<SignatureRecord>;
  append(record: LogRecord): Promise<void>;
  bundle(index: number): Promise<EvidenceBundle>;
}

export async function openTestAuditLog(db: Db, options: { batchSize?: number } = {}): Promise<TestAuditLog> {
  await migrate(db);
  const pki = await testPki();
  const { signerKey, verifierKey } = generateNoteKey(AUDIT_ORIGIN);
  const key: LogKey = { origin: AUDIT_ORIGIN, signer: parseSignerKey(signerKey), verifier: parseVerifierKey(verifierKey), verifierKey };
  const writer = new AuditLogWriter(db, { key, batchSize: options.batchSize ?? 7, checkpointIntervalMs: 0, integrateIntervalMs: 1000 }, pino({ level: 'silent' }));
  const catalog = new CertificateCatalog(db);
  return {
    db,
    pki,
    key,
    async integrate() {
      return (await writer.drain()).treeSize;
    },
    async jws(signedBytes, signer = pki.partners['hanoi-one-stop'].signer) {
      return { format: 'jws-detached', value: signDetachedJws(signedBytes, signer), keyId: signer.keyId, chain: await catalog.remember(signer.certificateChain) };
    },
    append: (record) => appendLog(db, record),
    async bundle(index) {
      const bundle = await buildBundle(db, AUDIT_ORIGIN, index);
      if (!bundle) throw new Error(`no bundle for leaf ${index}`);
      // As an auditor receives it: JSON, not objects shared with the store.
      return JSON.parse(JSON.stringify(bundle)) as EvidenceBundle;
    },
  };
}

/**
 * `count` honest records, in turn: a dossier signed by Hà Nội, a refusal (no body), and the
 * gateway's signed delivery of it. Checkpoints are signed every `checkpointEvery` records.
 */
export async function seedHonestLog(log: TestAuditLog, count: number, checkpointEvery = 5): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const code = `000.00.12.H26-251123-${String(i).padStart(4, '0')}`;
    const body = Buffer.from(JSON.stringify({ code, applicant: { name: `Nguyễn Văn ${i}` } }));
    if (i % 3 === 0) {
      await log.append({ direction: 'in', partnerId: 'hanoi-one-stop', endpoint: 'POST /v1/dossiers', dossierCode: code, body, outcome: 'accepted', signature: await log.jws(body) });
    } else if (i % 3 === 1) {
      await log.append({ direction: 'in', partnerId: 'hanoi-one-stop', endpoint: 'POST /v1/dossiers', outcome: 'refused', errorCode: 'invalid-request' });
    } else {
      const signature = await log.jws(body, log.pki.gateway.signer);
      await log.append({ direction: 'out', partnerId: 'hanoi-one-stop', endpoint: 'national-portal:DongBoHoSoMC', dossierCode: code, body, outcome: 'delivered', attempt: 1, signature });
    }
    if ((i + 1) % checkpointEvery === 0) await log.integrate();
  }
  await log.integrate();
}
