// MaXacThuc: the lowercase hex SHA-256 of a message's fields, in the order below, joined by `|`
// with the partner secret last. The request and confirmation orders are the public client's
// (HuanVu201/DichVuCong_KhoaLuan_PASETO, DvcPaymentService.cs and ConfirmDvcPaymentCommandHandler.cs);
// the answer orders are ours (README.md). The simulator keeps its own table, written from the same
// public source, so that a wrong order here fails a test.
import { createHash, timingSafeEqual } from 'node:crypto';

export const AUTH_FIELDS = {
  INIT: [
    'LoaiBanTin',
    'PhienBan',
    'MaDoiTac',
    'MaThamChieu',
    'SoTien',
    'LoaiHinhThanhToan',
    'MaKenhThanhToan',
    'MaThietBi',
    'NgonNgu',
    'MaTienTe',
    'MaNganHang',
    'ThongTinGiaoDich',
    'ThoiGianGD',
    'Ip',
  ],
  INIT_ANSWER: ['MaLoi', 'MaDoiTac', 'MaThamChieu', 'UrlThanhToan'],
  QUERY: ['LoaiBanTin', 'PhienBan', 'MaDoiTac', 'MaThamChieu', 'ThoiGianGD'],
  QUERY_ANSWER: ['MaLoi', 'MaDoiTac', 'MaThamChieu', 'SoTien', 'TrangThaiGD', 'MaGiaoDich', 'ThoiGianGD'],
  GET_BILL: ['LoaiBanTin', 'PhienBan', 'MaDoiTac', 'MaThamChieu', 'ThoiGianGD'],
  STATEMENT: ['LoaiBanTin', 'PhienBan', 'MaDoiTac', 'Ngay', 'ThoiGianGD'],
  NOTIFY: ['LoaiBanTin', 'MaLoi', 'MaDoiTac', 'MaThamChieu', 'SoTien', 'MaTienTe', 'MaGiaoDich', 'MaNganHang', 'ThoiGianGD', 'ThongTinGiaoDich'],
} as const;

export type AuthMessage = keyof typeof AUTH_FIELDS;

export function authCode(fields: readonly string[], secret: string): string {
  return createHash('sha256').update([...fields, secret].join('|'), 'utf8').digest('hex');
}

/**
 * The values of a message's authenticated fields, in order. An absent field counts as '' (senders
 * leave empty ones out); undefined when a field is something that has no single text form.
 */
export function authFieldValues(message: AuthMessage, body: Record<string, unknown>): string[] | undefined {
  const values: string[] = [];
  for (const name of AUTH_FIELDS[message]) {
    const value = body[name];
    if (value === undefined || value === null) values.push('');
    else if (typeof value === 'string') values.push(value);
    else if (typeof value === 'number' && Number.isSafeInteger(value)) values.push(String(value));
    else return undefined;
  }
  return values;
}

/** The MaXacThuc of a message we send. */
export function signMessage(message: AuthMessage, body: Record<string, unknown>, secret: string): string {
  const values = authFieldValues(message, body);
  if (!values) throw new TypeError(`${message}: an authenticated field is neither text nor an integer`);
  return authCode(values, secret);
}

/** Whether a received message's MaXacThuc (in `body`) matches; compared in constant time. */
export function verifyAuthCode(message: AuthMessage, body: Record<string, unknown>, secret: string): boolean {
  const values = authFieldValues(message, body);
  const presented = body.MaXacThuc;
  if (!values || typeof presented !== 'string' || !/^[0-9a-f]{64}$/.test(presented)) return false;
  return timingSafeEqual(Buffer.from(authCode(values, secret), 'hex'), Buffer.from(presented, 'hex'));
}
