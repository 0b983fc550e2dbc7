import { describe, expect, it } from 'vitest';
import { Problem } from '../../src/core/problems.js';
import { refusalOf, wirePath } from '../../src/portal-compatible/protocol.js';

describe('portal-compatible refusals', () => {
  it.each([
    ['/applicant/email', 'Email'],
    ['/documents/0/url', 'TaiLieuNop[0].url'],
    ['/supplements/1/documents/0/url', 'DanhSachHoSoBoSung[1].documents[0].url'],
    ['/actor/name', 'NguoiXuLy'],
    ['/unknownThing', '/unknownThing'],
  ])('names %s as the wire field %s', (path, wire) => {
    expect(wirePath(path)).toBe(wire);
  });

  it('says an illegal transition with the national status codes', () => {
    const refusal = refusalOf(new Problem('illegal-transition', 'x', { from: 'PROCESSING', to: 'NEW' }), 'HS-1');
    expect(refusal.answer()).toEqual({ status: 200, body: { error_code: 5, message: 'Không thể chuyển trạng thái hồ sơ HS-1 từ 4 sang 1' } });
  });

  it('keeps "không tồn tại" in the not-found message, which portal clients read as worth retrying', () => {
    expect(refusalOf(new Problem('dossier-not-found'), 'HS-2').message).toBe('Hồ sơ không tồn tại: HS-2');
  });
});
