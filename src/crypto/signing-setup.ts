// Where the gateway's keys and trust come from. Production: the files named in the configuration
// (certs/README.md). Development: a PKI made on first start under the data folder, so that signatures
// are real from the first minute and nobody is tempted to switch them off.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ROLES } from '../partners/registry.js';
import { ensureDevPki } from './dev-pki.js';
import { loadPemSigner, loadPkcs12Signer, readSecret } from './file-signer.js';
import { KeyRing } from './key-ring.js';
import type { Signer } from './signer.js';
import { TrustStore } from './trust-store.js';

export interface SigningMaterial {
  keyRing: KeyRing;
  trust: TrustStore;
  /** The HTTPS server key and certificate, for the mTLS listener. */
  tls: { certificateFile: string; keyFile: string } | undefined;
  /** In development, the folder of the generated PKI (partner keys for trying signed calls). */
  devPkiDir: string | undefined;
}

export const DEV_PARTNERS = ROLES.map((role) => ({ id: `dev-${role}`, name: `Development ${role} partner` }));

export async function loadSigningMaterial(config: Config, logger: Logger): Promise<SigningMaterial> {
  const { signing } = config;
  const configured = signing.p12File !== undefined || signing.keyFiles.length > 0;
  let devPkiDir: string | undefined;
  if (!configured || !signing.trustStoreDir) {
    // Config validation makes production name both; only development gets here.
    devPkiDir = path.join(config.dataDir, 'pki');
    await ensureDevPki(devPkiDir, DEV_PARTNERS);
    logger.info({ dir: devPkiDir }, 'development PKI ready');
  }
  const dev = (file: string) => path.join(devPkiDir!, file);
  const signers: Signer[] = [];
  if (signing.p12File) {
    signers.push(await loadPkcs12Signer({ file: signing.p12File, password: (await readSecret(signing.keyPassword)) ?? '' }));
  } else if (signing.keyFiles.length > 0) {
    const passphrase = await readSecret(signing.keyPassword);
    for (const [i, keyFile] of signing.keyFiles.entries()) {
      signers.push(await loadPemSigner({ certificateFile: signing.certificateFiles[i]!, keyFile, ...(passphrase ? { passphrase } : {}) }));
    }
  } else {
    signers.push(await loadPemSigner({ certificateFile: dev('gateway/signing.cert.pem'), keyFile: dev('gateway/signing.key.pem') }));
  }
  const keyRing = new KeyRing(signers);
  const trust = await TrustStore.load(signing.trustStoreDir ?? dev('trust'), { staleCrl: signing.staleCrl });
  const tls = config.tls.certificateFile
    ? { certificateFile: config.tls.certificateFile, keyFile: config.tls.keyFile! }
    : devPkiDir
      ? { certificateFile: dev('gateway/tls.cert.pem'), keyFile: dev('gateway/tls.key.pem') }
      : undefined;
  logger.info({ keyIds: keyRing.all().map((s) => s.keyId), active: keyRing.active.keyId }, 'signing keys loaded');
  return { keyRing, trust, tls, devPkiDir };
}
