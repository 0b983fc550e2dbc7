// Assembles the edXML road for the composition root (src/compose/): the directory from the partner registry, the folder
// where packages are split while judged, the gateway's identity in TraceHeaders, and the delivery destination that
// sends packages. Attachments of an earlier version, kept on the local disk, are moved into the database first.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CertificateCatalog } from '../audit/certificates.js';
import type { Core } from '../compose/core.js';
import type { Destination } from '../delivery/destination.js';
import type { Signer } from '../crypto/signer.js';
import type { TrustChecker } from '../crypto/trust.js';
import { EdxmlDestination } from './destination.js';
import { Directory } from './directory.js';
import { importLegacyAttachments } from './legacy-attachments.js';
import type { EdxmlContext } from './receive.js';

/**
 * Packages carry attachments of tens of megabytes; they stream to a temporary file and into the database
 * in parts (src/edxml/attachments.ts), so this bounds disk and database, not memory.
 */
export const MAX_PACKAGE_BYTES = 256 * 1024 * 1024;

/** What the edXML road takes from the core. */
export type EdxmlCore = Pick<Core, 'config' | 'db' | 'registry' | 'outbound' | 'logger'> & { signing: { trust: TrustChecker; keyRing: { active: Signer } } };

export interface EdxmlWing {
  /** What the edXML routes work with. */
  context: EdxmlContext;
  destination: Destination;
}

export async function setUp({ config, db, registry, outbound, signing, logger }: EdxmlCore): Promise<EdxmlWing> {
  const organId = config.nationalPortal.agencyCode;
  // The configuration refuses a production start without it; no placeholder may ever name the gateway.
  if (!organId) throw new Error('NATIONAL_PORTAL_AGENCY_CODE is not set: it is the gateway\'s OrganId in edXML TraceHeaders');
  await importLegacyAttachments(db, path.join(config.dataDir, 'edxml'), logger);
  // Scratch only: a package's attachments while it is judged, gone when it is answered.
  const incomingDir = path.join(config.dataDir, 'edxml-incoming');
  await mkdir(incomingDir, { recursive: true });
  const context: EdxmlContext = {
    db,
    registry,
    directory: new Directory(registry),
    trust: signing.trust,
    signer: signing.keyRing.active,
    catalog: new CertificateCatalog(db),
    // The province's own agency code names the gateway in TraceHeaders (docs/edxml.md).
    organId,
    incomingDir,
    maxPackageBytes: MAX_PACKAGE_BYTES,
  };
  return { context, destination: new EdxmlDestination(db, context.directory, outbound, config.delivery.webhookTimeoutMs) };
}
