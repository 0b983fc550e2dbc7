// Development mode only: on a fresh data folder, write a registry with one partner per role and
// print their keys, so a newcomer can call the gateway a minute after cloning.
import { randomBytes, X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { certificateFingerprint } from '../crypto/trust.js';
import { ROLES, hashApiKey, type PartnersDocument, type Role } from './registry.js';

export interface DevCredentials {
  [role: string]: { partnerId: string; apiKey: string };
}

export const DEV_AGENCY_CODE = '000.00.01.H99';

export function newApiKey(prefix = 'lgsp'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** The fingerprint of a dev partner's certificate, so that its signatures are accepted as its own. */
async function devCertificateFingerprint(devPkiDir: string | undefined, partnerId: string): Promise<string[]> {
  if (!devPkiDir) return [];
  const pem = await readFile(path.join(devPkiDir, 'partners', `${partnerId}.cert.pem`), 'utf8');
  return [certificateFingerprint(new X509Certificate(pem))];
}

/** Returns the registry file path, creating it (and dev-credentials.json) when absent. */
export async function ensureDevRegistry(dataDir: string, devPkiDir?: string): Promise<{ file: string; created?: DevCredentials }> {
  const file = path.join(dataDir, 'partners.json');
  try {
    await access(file);
    return { file };
  } catch {
    // fresh data folder: fall through and create it
  }
  await mkdir(dataDir, { recursive: true });
  const credentials: DevCredentials = {};
  const doc: PartnersDocument = { partners: [] };
  for (const role of ROLES) {
    const partnerId = `dev-${role}`;
    const apiKey = newApiKey(`dev_${role.replace('-', '_')}`);
    credentials[role] = { partnerId, apiKey };
    doc.partners.push({
      id: partnerId,
      name: `Development ${role} partner`,
      roles: [role as Role],
      apiKeys: [{ id: 'dev', sha256: hashApiKey(apiKey) }],
      agencies: [{ code: DEV_AGENCY_CODE, name: 'Development agency' }],
      ...(role === 'one-stop' ? { anyAgency: true } : {}),
      certificates: { sha256: await devCertificateFingerprint(devPkiDir, partnerId) },
      // Operators' status pushes must be signed, as a province would configure them.
      ...(role === 'postal-operator' && devPkiDir ? { mustSign: true } : {}),
    });
  }
  await writeFile(file, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  await writeFile(path.join(dataDir, 'dev-credentials.json'), JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  return { file, created: credentials };
}
