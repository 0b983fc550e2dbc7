// The certificates a TLS client presented, leaf first. Node hands them over as a linked list of
// legacy objects; the trust store wants X509Certificate and makes its own judgement, which is why
// the listener does not let OpenSSL reject clients (rejectUnauthorized: false) and asks here instead.
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

const MAX_CHAIN = 8;

export function peerCertificateChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (current?.raw && chain.length < MAX_CHAIN) {
    const fingerprint = current.fingerprint256;
    if (seen.has(fingerprint)) break; // a self-signed root points at itself
    seen.add(fingerprint);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}
