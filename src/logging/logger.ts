// pino JSON logs with personal data redacted (promise 5). Paths cover both the canonical names and
// the national portal's wire names, wherever an object carrying them is logged by mistake.
import pino, { type Logger } from 'pino';

const PERSONAL_FIELDS = [
  'name', 'idNumber', 'identifiers', 'phone', 'fax', 'email', 'address', 'applicant', 'payer', 'sender', 'receiver',
  'ChuHoSo', 'SoDienThoai', 'Fax', 'SoGiayToChuHoSo', 'DinhDanhCHS', 'Email', 'DiaChi', 'MaDoiTuong', 'session', 'password',
];

export const REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  // Top-level `name` is pino's logger name, so personal names are redacted one level down and deeper.
  ...PERSONAL_FIELDS.flatMap((f) => [...(f === 'name' ? [] : [f]), `*.${f}`, `*.*.${f}`]),
];

export function createLogger(options: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: options.name ?? 'lgsp-gateway',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
