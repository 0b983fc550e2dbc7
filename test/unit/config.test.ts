import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_AGENCY_CODE, loadConfig } from '../../src/config/config.js';
import { COMPLETE_PRODUCTION } from '../support/production-env.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('configuration', () => {
  it('starts in development with nothing configured, using the defaults', () => {
    const config = loadConfig({ LGSP_MODE: 'development' });
    expect(config.port).toBe(8080);
    expect(config.nationalPortal.agencyCode).toBe(DEVELOPMENT_AGENCY_CODE);
    expect([...config.roles]).toEqual(['api', 'worker', 'simulators']);
  });

  it('refuses a production start with no keys configured, naming everything missing at once', () => {
    const problems = problemsOf({});
    expect(problems.join('\n')).toMatch(/PARTNERS_FILE/);
    expect(problems.join('\n')).toMatch(/FILE_URL_SECRET/);
    expect(problems.join('\n')).toMatch(/NATIONAL_PORTAL_URL/);
    expect(problems.join('\n')).toMatch(/NATIONAL_PORTAL_USERNAME and NATIONAL_PORTAL_PASSWORD/);
    expect(problems.join('\n')).toMatch(/PUBLIC_BASE_URL/);
    expect(problems.join('\n')).toMatch(/A signing key is required in production/);
    expect(problems.join('\n')).toMatch(/TRUST_STORE_DIR is required/);
    expect(problems.join('\n')).toMatch(/AUDIT_LOG_KEY_FILE is required/);
  });

  it('refuses signing settings that do not pair up', () => {
    expect(problemsOf({ LGSP_MODE: 'development', SIGNING_CERT_FILE: 'a.pem,b.pem', SIGNING_KEY_FILE: 'a.key' })).toContain(
      'SIGNING_CERT_FILE lists 2 file(s) and SIGNING_KEY_FILE 1: give one key per certificate',
    );
    expect(problemsOf({ LGSP_MODE: 'development', SIGNING_P12_FILE: 'g.p12' })).toContain('SIGNING_P12_FILE needs SIGNING_KEY_PASSWORD or SIGNING_KEY_PASSWORD_FILE');
    expect(problemsOf({ LGSP_MODE: 'development', CRL_STALE_POLICY: 'maybe' })).toContain('CRL_STALE_POLICY must be "fail" or "allow", got "maybe"');
  });

  it('treats production as the default mode: development is an explicit setting', () => {
    expect(problemsOf({ DATA_DIR: '/tmp/x' }).length).toBeGreaterThan(0);
  });

  it('refuses malformed values with the variable name and the value given', () => {
    const problems = problemsOf({ LGSP_MODE: 'development', PORT: 'eighty', NATIONAL_PORTAL_URL: 'not a url', LGSP_MODE_X: '1', DELIVERY_MAX_ATTEMPTS: '0' });
    expect(problems).toContain('PORT must be an integer from 0 to 65535, got "eighty"');
    expect(problems).toContain('NATIONAL_PORTAL_URL must be a URL, got "not a url"');
    expect(problems).toContain('DELIVERY_MAX_ATTEMPTS must be an integer from 1 to 1000, got "0"');
  });

  it('refuses an unknown mode and unknown process roles', () => {
    expect(problemsOf({ LGSP_MODE: 'dev' })).toContain('LGSP_MODE must be "development" or "production", got "dev"');
    expect(problemsOf({ LGSP_MODE: 'development', PROCESS_ROLES: 'api,cron' })).toContain('PROCESS_ROLES may list api, worker, simulators; got "cron"');
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      PARTNERS_FILE: '/etc/lgsp/partners.json',
      ...COMPLETE_PRODUCTION,
    });
    expect(config.mode).toBe('production');
    expect(config.publicBaseUrl).toBe('https://lgsp.example.gov.vn');
    expect(config.nationalPortal.agencyCode).toBe('000.00.00.H26');
  });

  // Issue 15, point 5: the literal "madonvi" used to name the gateway when the variable was unset.
  it('has no placeholder agency code: production requires NATIONAL_PORTAL_AGENCY_CODE, development says plainly it is not real', () => {
    expect(problemsOf({}).join('\n')).toMatch(/NATIONAL_PORTAL_AGENCY_CODE is required in production/);
    expect(problemsOf({ NATIONAL_PORTAL_AGENCY_CODE: '000.00.00.H26' }).join('\n')).not.toMatch(/NATIONAL_PORTAL_AGENCY_CODE/);
    expect(loadConfig({ LGSP_MODE: 'development' }).nationalPortal.agencyCode).not.toBe('madonvi');
    expect(loadConfig({ LGSP_MODE: 'development', NATIONAL_PORTAL_AGENCY_CODE: '000.00.00.H40' }).nationalPortal.agencyCode).toBe('000.00.00.H40');
  });
});
