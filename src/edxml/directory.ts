// The directory of the edXML road: every agency (OrganId) served by a member system, which system
// serves it, and how that system takes packages. Built from the partner registry (`edxml` blocks).
import type { Partner, PartnerRegistry } from '../partners/registry.js';

export interface DirectoryEntry {
  organId: string;
  name: string;
  partner: Partner;
  delivery: 'push' | 'inbox';
  endpoint?: string;
  accepts: string[];
  documentTypes?: string[];
}

export class Directory {
  private readonly byOrgan = new Map<string, DirectoryEntry>();

  constructor(registry: PartnerRegistry) {
    for (const partner of registry.all()) {
      const service = partner.edxml;
      if (!service) continue;
      for (const agency of service.agencies) {
        if (this.byOrgan.has(agency.code)) throw new Error(`edXML directory: agency ${agency.code} is served by two systems`);
        this.byOrgan.set(agency.code, {
          organId: agency.code,
          name: agency.name,
          partner,
          delivery: service.endpoint ? 'push' : 'inbox',
          ...(service.endpoint ? { endpoint: service.endpoint } : {}),
          accepts: service.accepts,
          ...(service.documentTypes ? { documentTypes: service.documentTypes } : {}),
        });
      }
    }
  }

  get(organId: string): DirectoryEntry | undefined {
    return this.byOrgan.get(organId);
  }

  entries(): DirectoryEntry[] {
    return [...this.byOrgan.values()].sort((a, b) => a.organId.localeCompare(b.organId));
  }
}
