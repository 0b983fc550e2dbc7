// Certificates are kept once, by fingerprint, and log records name them: a chain repeated in every
// record would be most of the log's size. Certificates are public, so writing one outside the
// transaction of the message it came with (even if that message is then refused) leaks nothing.
import type { X509Certificate } from 'node:crypto';
import { certificateFingerprint } from '../crypto/trust.js';
import type { Queryable } from '../store/db.js';

export class CertificateCatalog {
  private readonly known = new Set<string>();

  constructor(private readonly db: Queryable) {}

  /** Stores the chain's certificates not yet kept and answers their fingerprints, leaf first. */
  async remember(chain: readonly X509Certificate[]): Promise<string[]> {
    const fingerprints: string[] = [];
    for (const certificate of chain) {
      const fingerprint = certificateFingerprint(certificate);
      fingerprints.push(fingerprint);
      if (this.known.has(fingerprint)) continue;
      await this.db.query('INSERT INTO certificates (fingerprint, der, subject) VALUES ($1, $2, $3) ON CONFLICT (fingerprint) DO NOTHING', [
        fingerprint,
        certificate.raw,
        certificate.subject.replaceAll('\n', ', '),
      ]);
      this.known.add(fingerprint);
    }
    return fingerprints;
  }
}

export async function certificatesByFingerprint(q: Queryable, fingerprints: readonly string[]): Promise<Map<string, Buffer>> {
  if (fingerprints.length === 0) return new Map();
  const rows = await q.query<{ fingerprint: string; der: Buffer | Uint8Array }>('SELECT fingerprint, der FROM certificates WHERE fingerprint = ANY($1)', [fingerprints]);
  return new Map(rows.map((r) => [r.fingerprint, Buffer.from(r.der)]));
}
