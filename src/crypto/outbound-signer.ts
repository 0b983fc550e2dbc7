// The gateway's own signature on what it sends: a detached JWS over the exact bytes, made with the
// active key of the key ring, and the matching record for the message log.
import type { CertificateCatalog } from '../audit/certificates.js';
import { signDetachedJws } from './jws.js';
import type { SignatureRecord } from './partner-signature.js';
import type { Signer } from './signer.js';

export class OutboundSigner {
  private constructor(
    readonly signer: Signer,
    private readonly chain: string[],
  ) {}

  /** Registers the signer's certificates in the catalogue, so that every record can name them. */
  static async create(signer: Signer, catalog: CertificateCatalog): Promise<OutboundSigner> {
    return new OutboundSigner(signer, await catalog.remember(signer.certificateChain));
  }

  jws(body: Buffer): string {
    return signDetachedJws(body, this.signer);
  }

  /** A signature of these bytes, ready for the message log. */
  record(body: Buffer, token = this.jws(body)): SignatureRecord {
    return { format: 'jws-detached', value: token, keyId: this.signer.keyId, chain: this.chain };
  }
}
