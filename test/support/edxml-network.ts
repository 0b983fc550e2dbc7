// Three member systems on the edXML road, each with its own certificate from the test PKI's
// Province CA and its own API key: a commune one-stop, a provincial department, a specialised
// (land registry) system. Each pushes to an endpoint when given one, or fetches from its inbox.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { writePackage, writeSignedEnvelope, type Envelope, type OutgoingAttachment } from '../../adapters/edxml/index.js';
import { issueCertificate } from '../../src/crypto/dev-pki.js';
import { loadPemSigner } from '../../src/crypto/file-signer.js';
import type { Signer } from '../../src/crypto/signer.js';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import { hashApiKey, type PartnersDocument } from '../../src/partners/registry.js';
import type { TestPki } from './pki.js';
import { COMMUNE, DEPARTMENT, SPECIALISED } from './edxml-samples.js';

export type SystemName = 'commune' | 'department' | 'land';

export interface MemberSystem {
  partnerId: string;
  apiKey: string;
  organId: string;
  signer: Signer;
}

const SYSTEMS: Record<SystemName, { partnerId: string; name: string; organ: { organId: string; organName: string } }> = {
  commune: { partnerId: 'commune-one-stop', name: 'Một cửa phường Ba Đình', organ: COMMUNE },
  department: { partnerId: 'department-one-stop', name: 'Một cửa Sở Tài nguyên và Môi trường', organ: DEPARTMENT },
  land: { partnerId: 'land-registry', name: 'Hệ thống đăng ký đất đai', organ: SPECIALISED },
};

let made: Promise<Record<SystemName, MemberSystem>> | undefined;

/** The systems' credentials, made once per test process. */
export function memberSystems(pki: TestPki): Promise<Record<SystemName, MemberSystem>> {
  made ??= (async () => {
    const out = {} as Record<SystemName, MemberSystem>;
    for (const [name, s] of Object.entries(SYSTEMS) as [SystemName, (typeof SYSTEMS)[SystemName]][]) {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const certificate = issueCertificate({
        subject: { commonName: s.name, organizationalUnit: s.partnerId, organization: 'LGSP Test', country: 'VN' },
        issuer: pki.provinceCa,
        publicKey,
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 365 * 86_400_000),
        keyUsage: ['digitalSignature', 'nonRepudiation'],
      });
      const certificateFile = path.join(pki.dir, 'credentials', `${s.partnerId}.cert.pem`);
      const keyFile = path.join(pki.dir, 'credentials', `${s.partnerId}.key.pem`);
      await writeFile(certificateFile, certificate.toString() + pki.provinceCa.certificate.toString());
      await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
      out[name] = { partnerId: s.partnerId, apiKey: `test-key-edxml-${s.partnerId}-000000000000000000`, organId: s.organ.organId, signer: await loadPemSigner({ certificateFile, keyFile }) };
    }
    return out;
  })();
  return made;
}

/**
 * Adds the three systems to a partner registry; a system without an endpoint fetches from its inbox.
 * Systems named in `mustSign` must sign every write: their packages carry the signature inside.
 */
export function withEdxmlSystems(systems: Record<SystemName, MemberSystem>, endpoints: Partial<Record<SystemName, string>>, options: { mustSign?: SystemName[] } = {}) {
  return (doc: PartnersDocument): PartnersDocument => ({
    partners: [
      ...doc.partners,
      ...(Object.keys(SYSTEMS) as SystemName[]).map((name) => ({
        id: SYSTEMS[name].partnerId,
        name: SYSTEMS[name].name,
        roles: ['one-stop' as const],
        apiKeys: [{ id: 'k1', sha256: hashApiKey(systems[name].apiKey) }],
        agencies: [{ code: SYSTEMS[name].organ.organId, name: SYSTEMS[name].organ.organName }],
        certificates: { sha256: [certificateFingerprint(systems[name].signer.certificateChain[0]!)] },
        edxml: { ...(endpoints[name] ? { endpoint: endpoints[name] } : {}), accepts: ['document' as const, 'dossier-handover' as const] },
        ...(options.mustSign?.includes(name) ? { mustSign: true } : {}),
      })),
    ],
  });
}

/** Signs and posts a package as `system`; `mutate` changes the bytes after signing (tamper tests). */
export async function sendPackage(
  gatewayUrl: string,
  system: MemberSystem,
  envelope: Envelope,
  attachments: OutgoingAttachment[] = [],
  options: { mutate?: (xml: string) => string; signer?: Signer } = {},
): Promise<{ status: number; body: any }> {
  let bytes = await writePackage(writeSignedEnvelope(envelope, options.signer ?? system.signer), attachments);
  if (options.mutate) bytes = Buffer.from(options.mutate(bytes.toString('utf8')), 'utf8');
  const response = await request(`${gatewayUrl}/v1/edxml`, {
    method: 'POST',
    headers: { 'x-api-key': system.apiKey, 'content-type': 'application/xml; charset=utf-8' },
    body: bytes,
  });
  return { status: response.statusCode, body: await response.body.json() };
}
