// The edXML directory, built from the partner registry's `edxml` blocks.
import { describe, expect, it } from 'vitest';
import { Directory } from '../../../src/edxml/directory.js';
import { PartnerRegistry, hashApiKey } from '../../../src/partners/registry.js';

const defaults = { agencyCode: '000.00.00.H26' };
const system = (id: string, agencies: { code: string; name?: string }[], edxml: unknown) => ({
  id,
  name: `Hệ thống ${id}`,
  roles: ['one-stop'],
  apiKeys: [{ id: 'k1', sha256: hashApiKey(`key-${id}`) }],
  agencies,
  ...(edxml === undefined ? {} : { edxml }),
});
const load = (...partners: unknown[]) => new Directory(PartnerRegistry.fromDocument({ partners }, { defaults, allowAnyAgency: false }));

describe('edXML directory', () => {
  it('lists the agencies of systems on the road, push or inbox, and leaves other partners out', () => {
    const directory = load(
      system('xa-hung-loc', [{ code: '000.01.33.H40', name: 'UBND xã Hưng Lộc' }], { endpoint: 'https://motcua.nghean.example.vn/edxml', accepts: ['dossier-handover'] }),
      system('so-tp', [{ code: '000.00.07.H40' }], { accepts: ['document'], documentTypes: ['18'] }),
      system('plain', [{ code: '000.00.99.H40' }], undefined),
    );
    expect(directory.entries().map((e) => [e.organId, e.name, e.partner.id, e.delivery, e.accepts, e.documentTypes])).toEqual([
      ['000.00.07.H40', '000.00.07.H40', 'so-tp', 'inbox', ['document'], ['18']],
      ['000.01.33.H40', 'UBND xã Hưng Lộc', 'xa-hung-loc', 'push', ['dossier-handover'], undefined],
    ]);
    expect(directory.get('000.00.99.H40')).toBeUndefined();
  });

  it('refuses an agency served by two systems, an empty or unknown accepts list, and an endpoint that is not HTTP', () => {
    expect(() => load(system('sys-a', [{ code: 'X' }], { accepts: ['document'] }), system('sys-b', [{ code: 'X' }], { accepts: ['document'] }))).toThrow(/served by two systems/);
    expect(() => load(system('sys-a', [{ code: 'X' }], { accepts: [] }))).toThrow(/invalid/);
    expect(() => load(system('sys-a', [{ code: 'X' }], { accepts: ['fax'] }))).toThrow(/invalid/);
    expect(() => load(system('sys-a', [{ code: 'X' }], { accepts: ['document'], endpoint: 'ftp://x' }))).toThrow(/invalid/);
  });
});
