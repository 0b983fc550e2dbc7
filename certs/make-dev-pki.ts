// Creates (or completes, and refreshes the CRLs of) the development PKI in a folder:
//   npx tsx certs/make-dev-pki.ts <dir>
// The partners are the gateway's own development partners (dev-one-stop, dev-postal-operator, ...), so
// the folder can serve as the gateway's data-folder PKI. Layout and use: certs/README.md.
import { resolve } from 'node:path';
import { ensureDevPki } from '../src/crypto/dev-pki.js';
import { DEV_PARTNERS } from '../src/crypto/signing-setup.js';

const dir = process.argv[2];
if (!dir || process.argv.length > 3) {
  console.error('usage: npx tsx certs/make-dev-pki.ts <dir>');
  process.exit(2);
}
const pki = await ensureDevPki(resolve(dir), DEV_PARTNERS);
console.log(`development PKI ready in ${resolve(dir)}
  trust store (TRUST_STORE_DIR): ${pki.trustDir}
  gateway signing (SIGNING_CERT_FILE / SIGNING_KEY_FILE): ${pki.gateway.signingCertificateFile} / ${pki.gateway.signingKeyFile}
  gateway TLS (TLS_CERT_FILE / TLS_KEY_FILE): ${pki.gateway.tlsCertificateFile} / ${pki.gateway.tlsKeyFile}
  partners: ${Object.keys(pki.partners).join(', ')}`);
