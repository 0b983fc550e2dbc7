// Assembles the edXML road for the composition root (src/compose/): the directory from the partner registry, the attachment
// folder, and the gateway's identity in TraceHeaders.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CertificateCatalog } from '../audit/certificates.js';
import type { Config } from '../config/config.js';
import type { Signer } from '../crypto/signer.js';
import type { TrustChecker } from '../crypto/trust.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db } from '../store/db.js';
import { Directory } from './directory.js';
import type { EdxmlContext } from './receive.js';

/** Packages carry attachments of tens of megabytes; they stream to disk, so this bounds disk, not memory. */
export const MAX_PACKAGE_BYTES = 256 * 1024 * 1024;

export async function setUpEdxml(config: Config, db: Db, registry: PartnerRegistry, trust: TrustChecker, signer: Signer): Promise<EdxmlContext> {
  const organId = config.nationalPortal.agencyCode;
  // The configuration refuses a production start without it; no placeholder may ever name the gateway.
  if (!organId) throw new Error('NATIONAL_PORTAL_AGENCY_CODE is not set: it is the gateway\'s OrganId in edXML TraceHeaders');
  const attachmentDir = path.join(config.dataDir, 'edxml');
  await mkdir(attachmentDir, { recursive: true });
  return {
    db,
    registry,
    directory: new Directory(registry),
    trust,
    signer,
    catalog: new CertificateCatalog(db),
    // The province's own agency code names the gateway in TraceHeaders (docs/edxml.md).
    organId,
    attachmentDir,
    maxPackageBytes: MAX_PACKAGE_BYTES,
  };
}
