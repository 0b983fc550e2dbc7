// MaXacThuc of the national payment platform, against digests computed outside Node by sha256sum.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AUTH_FIELDS, authCode, signMessage, verifyAuthCode, type AuthMessage } from '../../adapters/payment/national/auth-code.js';
import { NationalPaymentProvider } from '../../adapters/payment/national/provider.js';

const secret = 'bi-mat-doi-tac-khong-lo';

/** The lowercase hex SHA-256 of the exact text, by coreutils. */
function sha256sum(text: string): string {
  const out = execFileSync('sh', ['-c', 'printf "%s" "$1" | sha256sum', 'sh', text], { encoding: 'utf8' });
  return out.split(' ')[0] ?? '';
}

const messages: Record<AuthMessage, Record<string, unknown>> = {
  INIT: {
    LoaiBanTin: 'INIT',
    PhienBan: '1.0.6',
    MaDoiTac: 'HUE_MOTCUA',
    MaThamChieu: 'PAY-000123',
    SoTien: 150000,
    LoaiHinhThanhToan: 'PAY',
    MaKenhThanhToan: '1',
    MaThietBi: '1',
    NgonNgu: 'vi-VN',
    MaTienTe: 'VND',
    MaNganHang: '',
    ThongTinGiaoDich: 'Nộp lệ phí hồ sơ H46.22-250801-0001',
    ThoiGianGD: '20250801093000',
    Ip: '203.113.1.10',
    UrlTraVe: 'https://motcua.hue.gov.vn/thanh-toan/ket-qua',
  },
  INIT_ANSWER: { MaLoi: '00', MaDoiTac: 'HUE_MOTCUA', MaThamChieu: 'PAY-000123', UrlThanhToan: 'https://thanhtoan.dichvucong.gov.vn/pay/PAY-000123' },
  QUERY: { LoaiBanTin: 'QUERY', PhienBan: '1.0.6', MaDoiTac: 'HUE_MOTCUA', MaThamChieu: 'PAY-000123', ThoiGianGD: '20250801093000' },
  QUERY_ANSWER: { MaLoi: '00', MaDoiTac: 'HUE_MOTCUA', MaThamChieu: 'PAY-000123', SoTien: 150000, TrangThaiGD: '00', MaGiaoDich: 'PG123', ThoiGianGD: '20250801093512' },
  GET_BILL: { LoaiBanTin: 'GET_BILL', PhienBan: '1.0.6', MaDoiTac: 'HUE_MOTCUA', MaThamChieu: 'PAY-000123', ThoiGianGD: '20250802080000' },
  STATEMENT: { LoaiBanTin: 'STATEMENT', PhienBan: '1.0.6', MaDoiTac: 'HUE_MOTCUA', Ngay: '20250801', ThoiGianGD: '20250802010000' },
  NOTIFY: {
    LoaiBanTin: 'NOTIFY',
    MaLoi: '00',
    MaDoiTac: 'HUE_MOTCUA',
    MaThamChieu: 'PAY-000123',
    SoTien: 150000,
    MaTienTe: 'VND',
    MaGiaoDich: 'PG123',
    MaNganHang: 'VCB',
    ThoiGianGD: '20250801093512',
    ThongTinGiaoDich: 'Nộp lệ phí hồ sơ H46.22-250801-0001',
  },
};

/** The documented joining, written out by hand per message so that the table itself is checked. */
const expectedText: Record<AuthMessage, string> = {
  INIT: `INIT|1.0.6|HUE_MOTCUA|PAY-000123|150000|PAY|1|1|vi-VN|VND||Nộp lệ phí hồ sơ H46.22-250801-0001|20250801093000|203.113.1.10|${secret}`,
  INIT_ANSWER: `00|HUE_MOTCUA|PAY-000123|https://thanhtoan.dichvucong.gov.vn/pay/PAY-000123|${secret}`,
  QUERY: `QUERY|1.0.6|HUE_MOTCUA|PAY-000123|20250801093000|${secret}`,
  QUERY_ANSWER: `00|HUE_MOTCUA|PAY-000123|150000|00|PG123|20250801093512|${secret}`,
  GET_BILL: `GET_BILL|1.0.6|HUE_MOTCUA|PAY-000123|20250802080000|${secret}`,
  STATEMENT: `STATEMENT|1.0.6|HUE_MOTCUA|20250801|20250802010000|${secret}`,
  NOTIFY: `NOTIFY|00|HUE_MOTCUA|PAY-000123|150000|VND|PG123|VCB|20250801093512|Nộp lệ phí hồ sơ H46.22-250801-0001|${secret}`,
};

describe('MaXacThuc', () => {
  it('authCode is the lowercase hex SHA-256 of the fields joined by | with the secret last', () => {
    expect(authCode(['a', 'b'], 'secret')).toBe(sha256sum('a|b|secret'));
    expect(sha256sum('a|b|secret')).toMatch(/^[0-9a-f]{64}$/);
  });

  for (const message of Object.keys(AUTH_FIELDS) as AuthMessage[]) {
    describe(message, () => {
      const body = messages[message];
      const code = sha256sum(expectedText[message]);

      it('signs with the documented fields, in the documented order', () => {
        expect(signMessage(message, body, secret)).toBe(code);
      });

      it('verifies the independent digest and refuses a changed field, a changed secret, or a missing code', () => {
        expect(verifyAuthCode(message, { ...body, MaXacThuc: code }, secret)).toBe(true);
        expect(verifyAuthCode(message, { ...body, MaXacThuc: code }, `${secret}x`)).toBe(false);
        for (const field of AUTH_FIELDS[message]) {
          const value = body[field];
          const changed = typeof value === 'number' ? value + 1 : `${String(value)}x`;
          expect(verifyAuthCode(message, { ...body, [field]: changed, MaXacThuc: code }, secret), field).toBe(false);
        }
        expect(verifyAuthCode(message, body, secret)).toBe(false);
        expect(verifyAuthCode(message, { ...body, MaXacThuc: code.toUpperCase() }, secret)).toBe(false);
      });
    });
  }

  it('reads an amount sent as a string like the same number', () => {
    const code = sha256sum(expectedText.NOTIFY);
    expect(verifyAuthCode('NOTIFY', { ...messages.NOTIFY, SoTien: '150000', MaXacThuc: code }, secret)).toBe(true);
  });

  it("the provider's answer hands back the notification's MaXacThuc, a refusal (97) too", () => {
    const provider = new NationalPaymentProvider({ baseUrl: 'http://127.0.0.1:9', token: 't', partnerCode: 'HUE_MOTCUA', secret });
    const code = sha256sum(expectedText.NOTIFY);
    const notification = (maXacThuc: string) =>
      provider.parseNotification({ method: 'POST', query: {}, contentType: 'application/json', body: Buffer.from(JSON.stringify({ ...messages.NOTIFY, MaXacThuc: maXacThuc })) });
    const valid = notification(code);
    expect(valid.kind).toBe('valid');
    const answer = provider.answer('confirmed', valid);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ MaLoi: '00', MoTaLoi: 'Xác nhận thành công', MaDoiTac: 'HUE_MOTCUA', MaThamChieu: 'PAY-000123', ThoiGianGD: '20250801093512', MaXacThuc: code });
    const forged = 'f'.repeat(64);
    const refused = notification(forged);
    expect(refused.kind).toBe('invalid-signature');
    expect(JSON.parse(provider.answer('invalid-signature', refused).body)).toMatchObject({ MaLoi: '97', MaThamChieu: 'PAY-000123', MaXacThuc: forged });
    expect(JSON.parse(provider.answer('malformed', undefined).body)).toMatchObject({ MaLoi: '03', MaThamChieu: '', MaXacThuc: '' });
    void provider.close();
  });
});
