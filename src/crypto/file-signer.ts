// Signers backed by key files: PEM (PKCS#8 or PKCS#1, possibly encrypted) or PKCS#12. The key is
// checked against the certificate when loading, so a mismatch stops the gateway at start-up rather
// than producing signatures nobody can verify. Signing is node:crypto (OpenSSL), never forge's RSA.
import { X509Certificate, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import forge from 'node-forge';
import { pemBlocks } from './pem.js';
import type { Signer } from './signer.js';
import { certificateFingerprint } from './trust.js';

const MIN_RSA_BITS = 2048;

// PKCS#12 SafeBag types (RFC 7292 §4.2).
const BAG = {
  key: '1.2.840.113549.1.12.10.1.1',
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  certificate: '1.2.840.113549.1.12.10.1.3',
};

class FileSigner implements Signer {
  readonly keyId: string;

  constructor(
    private readonly key: KeyObject,
    readonly certificateChain: readonly X509Certificate[],
  ) {
    this.keyId = certificateFingerprint(certificateChain[0] as X509Certificate);
  }

  sign(data: Buffer): Buffer {
    return sign('sha256', data, this.key);
  }
}

/** `certificateFile` holds the signer's certificate first, then its chain; a root in it is dropped. */
export async function loadPemSigner(options: { certificateFile: string; keyFile: string; passphrase?: string }): Promise<Signer> {
  const certificates = pemBlocks(await readRequired(options.certificateFile, 'certificate file'), 'CERTIFICATE').map((der) => new X509Certificate(der));
  if (certificates.length === 0) throw new Error(`certificate file ${options.certificateFile} holds no PEM certificate`);
  const keyPem = await readRequired(options.keyFile, 'key file');
  // PKCS#8 encrypted or legacy PKCS#1 with a Proc-Type header; OpenSSL's own error says only "interrupted".
  if (options.passphrase === undefined && /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(keyPem)) {
    throw new Error(`key file ${options.keyFile} is encrypted and no password was given`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(options.passphrase === undefined ? keyPem : { key: keyPem, passphrase: options.passphrase });
  } catch (error) {
    const hint = options.passphrase === undefined ? '' : ' (wrong password?)';
    throw new Error(`key file ${options.keyFile} cannot be read${hint}: ${(error as Error).message}`);
  }
  return signerFrom(key, certificates, options.keyFile);
}

/**
 * Reads a PKCS#12 file with forge (which handles the modern OpenSSL defaults: PBES2, PBKDF2 with
 * HMAC-SHA-256, AES-256-CBC, SHA-256 MAC) and hands the key over to node:crypto.
 */
export async function loadPkcs12Signer(options: { file: string; password: string }): Promise<Signer> {
  const content = await readFile(options.file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`PKCS#12 file ${options.file} cannot be read: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(content.toString('binary')), true, options.password);
  } catch (error) {
    const message = (error as Error).message;
    if (/MAC could not be verified|Invalid password/i.test(message)) throw new Error(`PKCS#12 file ${options.file}: wrong password`);
    throw new Error(`PKCS#12 file ${options.file} cannot be read (forge supports PBES2/PBKDF2/AES and the legacy SHA-1/3DES schemes): ${message}`);
  }
  const keys = [...bags(p12, BAG.shroudedKey), ...bags(p12, BAG.key)];
  const keyBag = keys[0];
  if (keys.length !== 1 || !keyBag?.key) throw new Error(`PKCS#12 file ${options.file} must hold exactly one RSA private key, it holds ${keys.length}`);
  const key = createPrivateKey(forge.pki.privateKeyToPem(keyBag.key));
  const certificates = bags(p12, BAG.certificate).map((bag) => {
    // forge leaves certificates with non-RSA keys unparsed, as ASN.1; both convert to DER the same way.
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : (bag as { asn1?: forge.asn1.Asn1 }).asn1;
    if (!asn1) throw new Error(`PKCS#12 file ${options.file} holds an unreadable certificate`);
    return new X509Certificate(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  });
  return signerFrom(key, orderChain(key, certificates, options.file), options.file);
}

/** A password from an environment variable's value or from a file (one trailing newline dropped). */
export async function readSecret(source: { value?: string; file?: string }): Promise<string | undefined> {
  if (source.value !== undefined && source.file !== undefined) throw new Error('a password is given both as a value and as a file; give one');
  if (source.value !== undefined) return source.value;
  if (source.file === undefined) return undefined;
  return (await readRequired(source.file, 'password file')).replace(/\r?\n$/, '');
}

function signerFrom(key: KeyObject, certificates: X509Certificate[], keySource: string): Signer {
  const leaf = certificates[0] as X509Certificate;
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`key ${keySource} is ${key.asymmetricKeyType ?? 'unknown'}; the gateway signs with RSA (RS256)`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new Error(`key ${keySource} is RSA-${bits}; at least RSA-${MIN_RSA_BITS} is required`);
  if (!sameKey(key, leaf)) throw new Error(`key ${keySource} does not match the certificate "${leaf.subject.split('\n').join(', ')}"`);
  const chain = [leaf, ...certificates.slice(1).filter((certificate) => !isSelfSigned(certificate))];
  return new FileSigner(key, chain);
}

/** The certificate of `key` first, then each issuer in turn; unrelated certificates are dropped. */
function orderChain(key: KeyObject, certificates: X509Certificate[], file: string): X509Certificate[] {
  const leaf = certificates.find((certificate) => sameKey(key, certificate));
  if (!leaf) throw new Error(`PKCS#12 file ${file} holds no certificate for its private key`);
  const chain = [leaf];
  for (let current = leaf; !isSelfSigned(current) && chain.length <= certificates.length; ) {
    const issuer = certificates.find((candidate) => !chain.includes(candidate) && current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

function bags(p12: forge.pkcs12.Pkcs12Pfx, bagType: string): forge.pkcs12.Bag[] {
  return p12.getBags({ bagType })[bagType] ?? [];
}

function sameKey(key: KeyObject, certificate: X509Certificate): boolean {
  const spki = (publicKey: KeyObject) => publicKey.export({ type: 'spki', format: 'der' });
  return spki(createPublicKey(key)).equals(spki(certificate.publicKey));
}

function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.subject === certificate.issuer && certificate.verify(certificate.publicKey);
}

async function readRequired(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${what} ${file} cannot be read: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
