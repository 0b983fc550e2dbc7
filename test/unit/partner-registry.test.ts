import { describe, expect, it } from 'vitest';
import { PartnerRegistry, hashApiKey } from '../../src/partners/registry.js';

const defaults = { agencyCode: '000.00.00.H26', username: 'tinh', password: 'pw' };
const entry = (overrides: Record<string, unknown> = {}) => ({
  id: 'hanoi-one-stop',
  name: 'Hà Nội',
  roles: ['one-stop'],
  apiKeys: [{ id: 'k1', sha256: hashApiKey('key-1') }],
  agencies: [{ code: 'A1' }, { code: 'A2', nationalPortal: { agencyCode: '000.00.00.G99', username: 'other', passwordEnv: 'PW_G99' } }],
  ...overrides,
});

describe('partner registry', () => {
  it('finds a partner by its API key and only by it', () => {
    const registry = PartnerRegistry.fromDocument({ partners: [entry()] }, { defaults, allowAnyAgency: false, env: { PW_G99: 'x' } });
    expect(registry.authenticate('key-1')?.id).toBe('hanoi-one-stop');
    expect(registry.authenticate('key-2')).toBeUndefined();
    expect(registry.authenticate(undefined)).toBeUndefined();
  });

  it('gives an agency its own national portal account where configured, else the default', () => {
    const registry = PartnerRegistry.fromDocument({ partners: [entry()] }, { defaults, allowAnyAgency: false, env: { PW_G99: 'x' } });
    expect(registry.portalAccountFor('A2')).toMatchObject({ agencyCode: '000.00.00.G99', username: 'other', password: 'x' });
    expect(registry.portalAccountFor('A1')).toMatchObject({ agencyCode: '000.00.00.H26', username: 'tinh' });
  });

  it('refuses anyAgency outside development, a missing password variable, and a malformed file', () => {
    expect(() => PartnerRegistry.fromDocument({ partners: [entry({ anyAgency: true })] }, { defaults, allowAnyAgency: false, env: { PW_G99: 'x' } })).toThrow(/development/);
    expect(() => PartnerRegistry.fromDocument({ partners: [entry()] }, { defaults, allowAnyAgency: false, env: {} })).toThrow(/PW_G99 is unset/);
    expect(() => PartnerRegistry.fromDocument({ partners: [{ id: 'X' }] }, { defaults, allowAnyAgency: false })).toThrow(/invalid/);
  });

  it('refuses one API key shared by two partners', () => {
    const twin = entry({ id: 'twin', agencies: [] });
    expect(() => PartnerRegistry.fromDocument({ partners: [entry({ agencies: [] }), twin] }, { defaults, allowAnyAgency: false })).toThrow(/shared/);
  });
});
