// The ownership rule alone (src/partners/ownership.ts): owner, holder after a hand-over, roles, and
// the create rule that decides a code of another agency from the request.
import { describe, expect, it } from 'vitest';
import { mayActOn, mayCreate, type DossierAction } from '../../src/partners/ownership.js';
import { PartnerRegistry } from '../../src/partners/registry.js';

const registry = PartnerRegistry.fromDocument(
  {
    partners: [
      { id: 'commune', name: 'Commune', roles: ['one-stop'], apiKeys: [], agencies: [{ code: '000.00.20.H26' }] },
      { id: 'department', name: 'Department', roles: ['agency-system'], apiKeys: [], agencies: [{ code: '000.00.05.H26' }] },
      { id: 'land', name: 'Land registry', roles: ['one-stop'], apiKeys: [], agencies: [{ code: '000.00.07.H26' }] },
      { id: 'ops', name: 'Operations', roles: ['admin'], apiKeys: [], agencies: [] },
      { id: 'postal', name: 'Post', roles: ['postal-operator'], apiKeys: [], agencies: [{ code: '000.00.20.H26' }] },
    ],
  },
  { defaults: { agencyCode: '000.00.00.H26' }, allowAnyAgency: false },
);
const partner = (id: string) => registry.get(id)!;
const handedOver = { owner: '000.00.20.H26', holder: '000.00.07.H26' };
const ACTIONS: DossierAction[] = ['create', 'update', 'event', 'read', 'pay', 'ship'];
const verdicts = (id: string, parties = handedOver) => Object.fromEntries(ACTIONS.map((a) => [a, mayActOn(registry, partner(id), a, parties)]));

describe('the ownership rule', () => {
  it('gives the holder the events, keeps reads, fees and shipments with owner and holder, and hides the dossier from everyone else', () => {
    expect(verdicts('commune')).toEqual({ create: 'allowed', update: 'allowed', event: 'handed-over', read: 'allowed', pay: 'allowed', ship: 'allowed' });
    expect(verdicts('land')).toEqual({ create: 'not-found', update: 'not-found', event: 'allowed', read: 'allowed', pay: 'allowed', ship: 'allowed' });
    expect(verdicts('department')).toEqual({ create: 'not-found', update: 'not-found', event: 'not-found', read: 'not-found', pay: 'not-found', ship: 'not-found' });
    expect(verdicts('ops')).toEqual({ create: 'not-found', update: 'not-found', event: 'not-found', read: 'allowed', pay: 'not-found', ship: 'not-found' });
    // A role that does not write dossiers gets nothing, even for its own agency.
    expect(verdicts('postal', { owner: '000.00.20.H26', holder: '000.00.20.H26' })).toEqual(Object.fromEntries(ACTIONS.map((a) => [a, 'not-found'])));
    expect(mayActOn(registry, partner('commune'), 'read', undefined)).toBe('not-found');
  });

  it('lets only the holder hand a dossier on, and an accepting status move it only while the agency that handed it over holds it', () => {
    expect(mayActOn(registry, partner('land'), 'hand-over', handedOver, { from: '000.00.07.H26' })).toBe('allowed');
    expect(mayActOn(registry, partner('commune'), 'hand-over', handedOver, { from: '000.00.20.H26' })).toBe('not-found');
    expect(mayActOn(registry, partner('department'), 'hand-over', handedOver, { from: '000.00.07.H26' })).toBe('not-found');
    expect(mayActOn(registry, partner('department'), 'status', handedOver, { from: '000.00.05.H26', handedOverBy: '000.00.07.H26' })).toBe('allowed');
    expect(mayActOn(registry, partner('department'), 'status', handedOver, { from: '000.00.05.H26', handedOverBy: '000.00.20.H26' })).toBe('not-found');
  });

  it('refuses a code of another agency from the request, and a code taken elsewhere with the same verdict', () => {
    const commune = partner('commune');
    expect(mayCreate(registry, commune, { code: '000.00.20.H26-251201-0001', agencyCode: '000.00.20.H26' }, undefined)).toBe('allowed');
    expect(mayCreate(registry, commune, { code: '000.00.20.H26-251201-0001', agencyCode: '000.00.05.H26' }, undefined)).toBe('forbidden-agency');
    expect(mayCreate(registry, commune, { code: '000.00.05.H26-251201-0001', agencyCode: '000.00.20.H26' }, undefined)).toBe('code-not-yours');
    expect(mayCreate(registry, commune, { code: 'PLAIN-1', agencyCode: '000.00.20.H26' }, { owner: '000.00.05.H26', holder: '000.00.05.H26' })).toBe('code-not-yours');
    expect(mayCreate(registry, commune, { code: 'PLAIN-1', agencyCode: '000.00.20.H26' }, { owner: '000.00.20.H26', holder: '000.00.07.H26' })).toBe('allowed');
  });
});
