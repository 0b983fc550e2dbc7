// Issue 15, point 5: the gateway's own OrganId in edXML TraceHeaders is the configured agency code,
// never the placeholder "madonvi" that an unset NATIONAL_PORTAL_AGENCY_CODE used to become.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_AGENCY_CODE, loadConfig, type Config } from '../../../src/config/config.js';
import type { OutboundSigner } from '../../../src/crypto/outbound-signer.js';
import type { Signer } from '../../../src/crypto/signer.js';
import type { TrustChecker } from '../../../src/crypto/trust.js';
import { setUp } from '../../../src/edxml/setup.js';
import { PartnerRegistry } from '../../../src/partners/registry.js';
import type { Db } from '../../../src/store/db.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'edxml-setup-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// The edXML setup only keeps these; the organ id is what is under test.
const registry = PartnerRegistry.fromDocument({ partners: [] }, { defaults: { agencyCode: undefined }, allowAnyAgency: false });
const organIdOf = async (config: Config) => (await setUp({ config, db: {} as Db, registry, outbound: {} as OutboundSigner, logger: pino({ enabled: false }), signing: { trust: {} as TrustChecker, keyRing: { active: {} as Signer } } })).context.organId;

describe("the gateway's edXML OrganId", () => {
  it('is NATIONAL_PORTAL_AGENCY_CODE when set', async () => {
    expect(await organIdOf(loadConfig({ LGSP_MODE: 'development', DATA_DIR: dataDir, NATIONAL_PORTAL_AGENCY_CODE: '000.00.00.H26' }))).toBe('000.00.00.H26');
  });

  it('is a plainly unreal development code when unset in development, never "madonvi"', async () => {
    const organId = await organIdOf(loadConfig({ LGSP_MODE: 'development', DATA_DIR: dataDir }));
    expect(organId).toBe(DEVELOPMENT_AGENCY_CODE);
    expect(organId).not.toBe('madonvi');
  });

  it('is never made up: without an agency code the edXML road does not start', async () => {
    const config = loadConfig({ LGSP_MODE: 'development', DATA_DIR: dataDir });
    const unset = { ...config, nationalPortal: { ...config.nationalPortal, agencyCode: undefined } };
    await expect(organIdOf(unset)).rejects.toThrow(/NATIONAL_PORTAL_AGENCY_CODE is not set/);
  });
});
