// The gateway's signing keys during a rotation: the first signs new messages, the others stay
// resolvable by key id so that what they signed (and the audit checkpoints over it) still verify.
import type { Signer } from './signer.js';

export class KeyRing {
  private readonly signers: readonly Signer[];
  private readonly byId: ReadonlyMap<string, Signer>;

  /** `signers[0]` is the active key; key ids must be distinct. */
  constructor(signers: readonly Signer[]) {
    const first = signers[0];
    if (!first) throw new Error('a key ring needs at least one signer');
    const byId = new Map<string, Signer>();
    for (const signer of signers) {
      if (byId.has(signer.keyId)) throw new Error(`key ${signer.keyId} is in the key ring twice`);
      byId.set(signer.keyId, signer);
    }
    this.signers = [...signers];
    this.byId = byId;
  }

  get active(): Signer {
    return this.signers[0] as Signer;
  }

  byKeyId(keyId: string): Signer | undefined {
    return this.byId.get(keyId);
  }

  all(): readonly Signer[] {
    return this.signers;
  }
}
