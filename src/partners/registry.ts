// The partner registry: one entry per connected system, loaded from a JSON file (PARTNERS_FILE).
// API keys are stored as SHA-256 digests: keys are 32 random bytes, so a slow hash buys nothing,
// and a digest lets the gateway find the partner in one map lookup.
import { createHash, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { certificateFingerprint } from '../crypto/trust.js';

export const ROLES = ['one-stop', 'agency-system', 'postal-operator', 'payment-provider', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const PortalCredentials = Type.Object(
  {
    agencyCode: Type.String({ minLength: 1, description: 'madonvi at the national portal' }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', description: 'Environment variable holding the password' })),
  },
  { additionalProperties: false },
);

/** The partner's system on the edXML hand-over road (docs/edxml.md); its agencies are its edXML OrganIds. */
const EdxmlService = Type.Object(
  {
    endpoint: Type.Optional(Type.String({ pattern: '^https?://', description: 'Packages are pushed here; without it the system fetches them from GET /v1/edxml/inbox' })),
    accepts: Type.Array(Type.Union([Type.Literal('document'), Type.Literal('dossier-handover')]), { minItems: 1, description: 'What the system takes besides status messages' }),
    documentTypes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'DocumentType/Type values it takes; all when absent' })),
  },
  { additionalProperties: false },
);
export type EdxmlService = Static<typeof EdxmlService>;

const PartnerEntry = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }),
    name: Type.String({ minLength: 1 }),
    roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { minItems: 1 }),
    apiKeys: Type.Array(
      Type.Object({ id: Type.String({ minLength: 1 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false }),
    ),
    webhookUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    agencies: Type.Array(
      Type.Object(
        { code: Type.String({ minLength: 1 }), name: Type.Optional(Type.String()), nationalPortal: Type.Optional(PortalCredentials) },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    anyAgency: Type.Optional(Type.Boolean({ description: 'Development only: may act for any agency code' })),
    mustSign: Type.Optional(Type.Boolean({ description: 'Refuse any write from this partner that is not signed (X-JWS-Signature or XML Signature)' })),
    edxml: Type.Optional(EdxmlService),
    certificates: Type.Optional(
      Type.Object(
        {
          sha256: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-fA-F:]{64,95}$' }), { description: 'SHA-256 fingerprints of the DER' })),
          subjects: Type.Optional(Type.Array(Type.String({ minLength: 3 }), { description: 'Subjects such as "CN=Hệ thống một cửa, O=UBND tỉnh, C=VN", attribute order free' })),
        },
        { additionalProperties: false, description: 'The certificates that belong to this partner, for signatures and mTLS' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PartnersDocument = Type.Object({ partners: Type.Array(PartnerEntry) }, { additionalProperties: false });
export type PartnersDocument = Static<typeof PartnersDocument>;
type PartnerEntry = Static<typeof PartnerEntry>;

export interface Partner {
  id: string;
  name: string;
  roles: ReadonlySet<Role>;
  webhookUrl?: string;
  agencyCodes: ReadonlySet<string>;
  anyAgency: boolean;
  mustSign: boolean;
  /** Set for systems on the edXML road, with the agencies they serve. */
  edxml?: EdxmlService & { agencies: { code: string; name: string }[] };
}

export interface PortalAccount {
  /** Stable key used to batch messages that travel on the same portal session. */
  key: string;
  agencyCode: string;
  username: string;
  password: string;
}

export interface PortalDefaults {
  /** madonvi of the default account; without it there is no default account. */
  agencyCode: string | undefined;
  username?: string;
  password?: string;
}

/** Attribute order and spacing vary between tools; the set of TYPE=value pairs does not. */
function subjectKey(parts: string[]): string {
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      return `${p.slice(0, eq).trim().toUpperCase()}=${p.slice(eq + 1).trim()}`;
    })
    .sort()
    .join('\n');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class PartnerRegistry {
  private readonly byKeyHash = new Map<string, Partner>();
  private readonly byId = new Map<string, Partner>();
  private readonly byCertificate = new Map<string, Partner>();
  private readonly bySubject = new Map<string, Partner>();
  private readonly accountByAgency = new Map<string, PortalAccount>();
  private readonly accountsByKey = new Map<string, PortalAccount>();
  private readonly defaultAccount: PortalAccount | undefined;

  private constructor(entries: PartnerEntry[], defaults: PortalDefaults, env: Record<string, string | undefined>, allowAnyAgency: boolean) {
    if (defaults.agencyCode && defaults.username && defaults.password) {
      this.defaultAccount = this.remember({ agencyCode: defaults.agencyCode, username: defaults.username, password: defaults.password });
    }
    for (const entry of entries) {
      if (this.byId.has(entry.id)) throw new Error(`Partner registry: duplicate partner id "${entry.id}"`);
      if (entry.anyAgency && !allowAnyAgency) {
        throw new Error(`Partner registry: "${entry.id}" has anyAgency, which is allowed only in development mode`);
      }
      const partner: Partner = {
        id: entry.id,
        name: entry.name,
        roles: new Set(entry.roles),
        ...(entry.webhookUrl ? { webhookUrl: entry.webhookUrl } : {}),
        agencyCodes: new Set(entry.agencies.map((a) => a.code)),
        anyAgency: entry.anyAgency === true,
        mustSign: entry.mustSign === true,
        ...(entry.edxml ? { edxml: { ...entry.edxml, agencies: entry.agencies.map((a) => ({ code: a.code, name: a.name ?? a.code })) } } : {}),
      };
      if (partner.mustSign && !entry.certificates?.sha256?.length && !entry.certificates?.subjects?.length) {
        throw new Error(`Partner registry: "${entry.id}" must sign but lists no certificates (certificates.sha256 or certificates.subjects)`);
      }
      for (const fingerprint of entry.certificates?.sha256 ?? []) {
        const normalized = fingerprint.replaceAll(':', '').toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(normalized)) throw new Error(`Partner registry: "${entry.id}" has a malformed certificate fingerprint "${fingerprint}"`);
        if (this.byCertificate.has(normalized)) throw new Error(`Partner registry: certificate ${normalized} is listed for two partners`);
        this.byCertificate.set(normalized, partner);
      }
      for (const subject of entry.certificates?.subjects ?? []) {
        const key = subjectKey(subject.split(','));
        if (this.bySubject.has(key)) throw new Error(`Partner registry: subject "${subject}" is listed for two partners`);
        this.bySubject.set(key, partner);
      }
      this.byId.set(partner.id, partner);
      for (const key of entry.apiKeys) {
        if (this.byKeyHash.has(key.sha256)) throw new Error(`Partner registry: API key "${key.id}" of "${entry.id}" is shared with another partner`);
        this.byKeyHash.set(key.sha256, partner);
      }
      for (const agency of entry.agencies) {
        const portal = agency.nationalPortal;
        if (!portal) continue;
        const username = portal.username ?? defaults.username;
        const password = portal.passwordEnv ? env[portal.passwordEnv] : defaults.password;
        if (!username || !password) {
          throw new Error(
            `Partner registry: agency "${agency.code}" of "${entry.id}" needs national portal credentials` +
              (portal.passwordEnv ? ` (environment variable ${portal.passwordEnv} is unset)` : ''),
          );
        }
        this.accountByAgency.set(agency.code, this.remember({ agencyCode: portal.agencyCode, username, password }));
      }
    }
  }

  static fromDocument(doc: unknown, options: { defaults: PortalDefaults; env?: Record<string, string | undefined>; allowAnyAgency: boolean }): PartnerRegistry {
    const withDefaults = Value.Default(PartnersDocument, structuredClone(doc));
    if (!Value.Check(PartnersDocument, withDefaults)) {
      throw new Error(`Partner registry is invalid: ${registryErrors(withDefaults).join('; ')}`);
    }
    return new PartnerRegistry(withDefaults.partners, options.defaults, options.env ?? process.env, options.allowAnyAgency);
  }

  static async fromFile(file: string, options: { defaults: PortalDefaults; env?: Record<string, string | undefined>; allowAnyAgency: boolean }): Promise<PartnerRegistry> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the partner registry ${file}: ${(error as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new Error(`The partner registry ${file} is not valid JSON: ${(error as Error).message}`);
    }
    return PartnerRegistry.fromDocument(doc, options);
  }

  authenticate(apiKey: string | undefined): Partner | undefined {
    if (!apiKey || apiKey.length > 200) return undefined;
    return this.byKeyHash.get(hashApiKey(apiKey));
  }

  /** The partner a certificate belongs to, by fingerprint first, then by subject. */
  partnerForCertificate(certificate: X509Certificate): Partner | undefined {
    return this.byCertificate.get(certificateFingerprint(certificate)) ?? this.bySubject.get(subjectKey(certificate.subject.split('\n')));
  }

  all(): Partner[] {
    return [...this.byId.values()];
  }

  get(id: string): Partner | undefined {
    return this.byId.get(id);
  }

  actsFor(partner: Partner, agencyCode: string): boolean {
    return partner.anyAgency || partner.agencyCodes.has(agencyCode);
  }

  /** The national portal account that carries this agency's dossiers. */
  portalAccountFor(agencyCode: string): PortalAccount | undefined {
    return this.accountByAgency.get(agencyCode) ?? this.defaultAccount;
  }

  /** The account of agencies without their own: the deployment's own portal account. */
  defaultPortalAccount(): PortalAccount | undefined {
    return this.defaultAccount;
  }

  portalAccount(key: string): PortalAccount | undefined {
    return this.accountsByKey.get(key);
  }

  private remember(account: Omit<PortalAccount, 'key'>): PortalAccount {
    const key = `${account.agencyCode}|${account.username}`;
    const existing = this.accountsByKey.get(key);
    if (existing) return existing;
    const withKey = { ...account, key };
    this.accountsByKey.set(key, withKey);
    return withKey;
  }
}

/**
 * The document's problems in an operator's words: a union of literals (roles, edxml.accepts) names its
 * allowed values instead of TypeBox's "Expected union value"; one line per path, at most ten.
 */
function registryErrors(doc: unknown): string[] {
  const lines = new Map<string, string>();
  for (const error of Value.Errors(PartnersDocument, doc)) {
    const at = error.path || '/';
    if (lines.has(at)) continue;
    const allowed = (error.schema.anyOf as { const?: unknown }[] | undefined)?.map((s) => s.const);
    const message = allowed && allowed.every((v) => typeof v === 'string') ? `must be one of ${allowed.join(', ')}; got ${JSON.stringify(error.value)}` : error.message;
    lines.set(at, `${at} ${message}`);
    if (lines.size === 10) break;
  }
  return [...lines.values()];
}
