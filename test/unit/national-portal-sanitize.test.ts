import { describe, expect, it } from 'vitest';
import { foldText, sanitizePortalMessage } from '../../adapters/national-portal/client.js';
import { isRetryableRefusal } from '../../adapters/national-portal/deliver.js';

const personal = ['Nguyễn Thị Lan Anh', '0912345678', '001195012345', 'lananh.nguyen@example.vn'];

describe('sanitizePortalMessage', () => {
  it('masks personal values of the request, whatever their case', () => {
    const out = sanitizePortalMessage('Chủ hồ sơ NGUYỄN THỊ LAN ANH (CCCD 001195012345) không khớp', { secrets: personal });
    expect(out).toBe('Chủ hồ sơ [redacted] (CCCD [redacted]) không khớp');
  });

  it('masks email addresses, long numbers and tokens it was not told about', () => {
    const out = sanitizePortalMessage(
      'Email tran.b@example.com, SĐT +84 98 765 4321, CCCD 031088004567, CMND 025.301.889, session 9f1c2a7be04d4c2f8a0b6e5d3c1f2a9b7e6d5c4b',
    );
    expect(out).toBe('Email [email], SĐT [number], CCCD [number], CMND [number], session [token]');
    for (const leaked of ['tran.b', '765', '031088004567', '025.301', '9f1c2a7b']) expect(out).not.toContain(leaked);
  });

  it('keeps the dossier codes of the request readable', () => {
    const out = sanitizePortalMessage('Hồ sơ 000.00.12.H26-250805-0042 đã tồn tại, người nộp 0912345678', {
      keep: ['000.00.12.H26-250805-0042'],
    });
    expect(out).toBe('Hồ sơ 000.00.12.H26-250805-0042 đã tồn tại, người nộp [number]');
  });

  it('keeps short numbers such as error codes and field positions', () => {
    expect(sanitizePortalMessage('Lỗi 2: trường thứ 14 sai định dạng')).toBe('Lỗi 2: trường thứ 14 sai định dạng');
  });

  it('cuts long messages to 200 characters and removes control characters', () => {
    const out = sanitizePortalMessage(`dòng một\r\ndòng hai\u0000${'x '.repeat(300)}`);
    expect(out.length).toBe(200);
    expect(out.startsWith('dòng một dòng hai')).toBe(true);
    expect(out).not.toMatch(/[\r\n\u0000]/);
  });

  it('masks before cutting, so a cut cannot expose half an ID number', () => {
    const out = sanitizePortalMessage(`${'a'.repeat(195)} 001195012345`);
    expect(out).not.toMatch(/\d{3}/);
  });

  it('turns absent or structured messages into text without echoing personal values', () => {
    expect(sanitizePortalMessage(undefined)).toBe('');
    expect(sanitizePortalMessage({ SoGiayToChuHoSo: '001195012345' })).toBe('{"SoGiayToChuHoSo":"[number]"}');
  });
});

describe('foldText', () => {
  it('compares Vietnamese text without accents or case', () => {
    expect(foldText('HỒ SƠ ĐÃ TỒN TẠI')).toBe('ho so da ton tai');
    expect(foldText('Hồ sơ đã tồn tại')).toBe(foldText('ho so da ton tai'));
  });
});

describe('isRetryableRefusal', () => {
  it('retries a single item the portal cannot place yet or is too busy for', () => {
    expect(isRetryableRefusal({ errorCode: '4', message: 'Hồ sơ không tồn tại: X' })).toBe(true);
    expect(isRetryableRefusal({ errorCode: '99', message: 'Hệ thống đang bận, vui lòng thử lại sau' })).toBe(true);
    expect(isRetryableRefusal({ errorCode: '-1', message: 'Lỗi hệ thống' })).toBe(true);
  });

  it('does not retry what only a change of the data can fix', () => {
    expect(isRetryableRefusal({ errorCode: '2', message: 'Dữ liệu không hợp lệ: NgayHenTra sai định dạng' })).toBe(false);
    expect(isRetryableRefusal({ errorCode: '-3', message: 'Hồ sơ đã tồn tại' })).toBe(false);
  });
});
