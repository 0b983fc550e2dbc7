// Every setting a production start requires, with plausible values: tests take one away or change one.
export const COMPLETE_PRODUCTION = {
  FILE_URL_SECRET: 'x'.repeat(32),
  PUBLIC_BASE_URL: 'https://lgsp.example.gov.vn/',
  NATIONAL_PORTAL_URL: 'https://dvcqg.example/api',
  NATIONAL_PORTAL_USERNAME: 'tinh',
  NATIONAL_PORTAL_PASSWORD: 'secret',
  NATIONAL_PORTAL_AGENCY_CODE: '000.00.00.H26',
  DATABASE_URL: 'postgres://lgsp@db/lgsp',
  REDIS_URL: 'redis://redis:6379',
  SIGNING_CERT_FILE: '/etc/lgsp/signing.cert.pem',
  SIGNING_KEY_FILE: '/etc/lgsp/signing.key.pem',
  TRUST_STORE_DIR: '/etc/lgsp/trust',
  AUDIT_LOG_KEY_FILE: '/etc/lgsp/audit-log.key',
  AUDIT_LOG_ORIGIN: 'lgsp.hanoi.gov.vn/audit-log',
};
