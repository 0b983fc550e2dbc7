import { readFileSync } from 'node:fs';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { SHIPMENT_STATUSES, ShipmentReport, ShipmentRequest } from '../../schemas/shipment.js';
import { eventTimeToRfc3339, toEventTime } from '../../adapters/postal-bcci/dates.js';
import { canonicalStatus, VNPOST_STATUSES } from '../../adapters/postal-bcci/statuses.js';
import { fromVnpostEvent, toVnpostOrder } from '../../adapters/postal-bcci/translate.js';

if (!FormatRegistry.Has('email')) FormatRegistry.Set('email', (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v));

const pickup: ShipmentRequest = {
  kind: 'pickup',
  dossierCode: 'H46.22-250801-0001',
  sender: {
    name: 'Nguyễn Văn An',
    phone: '0912345678',
    email: 'an@example.vn',
    address: { line: '12 Lê Lợi, phường Thuận Hóa', provinceCode: '46', communeCode: '19753' },
  },
  receiver: {
    name: 'Trung tâm Phục vụ hành chính công tỉnh',
    phone: '02343822222',
    address: { line: '1 Lê Lai, phường Thuận Hóa', provinceCode: '46', communeCode: '19753', districtCode: '474' },
  },
  procedure: { code: '1.001234', name: 'Cấp đổi giấy phép lái xe' },
  cod: 135000,
  note: 'Gọi trước khi đến',
};
const { cod: _cod, note: _note, ...withoutExtras } = pickup;
const delivery: ShipmentRequest = { ...withoutExtras, kind: 'delivery', sender: pickup.receiver, receiver: pickup.sender };

describe('toVnpostOrder', () => {
  it('maps a valid canonical pickup to every order field of the direct variant, without lgsp fields', () => {
    expect([...Value.Errors(ShipmentRequest, pickup)]).toEqual([]);
    expect(toVnpostOrder(pickup, { customerCode: 'HUE_BCCI', variant: 'direct' })).toStrictEqual({
      CustomerCode: 'HUE_BCCI',
      OrderNumber: 'H46.22-250801-0001',
      CODAmount: 135000,
      SenderName: 'Nguyễn Văn An',
      SenderAddress: '12 Lê Lợi, phường Thuận Hóa (mã xã 19753)',
      SenderTel: '0912345678',
      SenderEmail: 'an@example.vn',
      SenderProvince: 46,
      SenderDesc: 'Gọi trước khi đến',
      ReceiverName: 'Trung tâm Phục vụ hành chính công tỉnh',
      ReceiverAddress: '1 Lê Lai, phường Thuận Hóa (mã xã 19753)',
      ReceiverTel: '02343822222',
      ReceiverEmail: '',
      ReceiverProvince: 46,
      ReceiverDistrict: 474,
      Description: 'Thu gom hồ sơ H46.22-250801-0001: Cấp đổi giấy phép lái xe (1.001234)',
    });
  });

  it('uses the gateway order number when given, and 0 and empty text for an absent cod and note', () => {
    const order = toVnpostOrder({ ...delivery, orderNumber: 'H46.22-250801-0001-KQ' }, { customerCode: 'HUE_BCCI', variant: 'direct' });
    expect(order.OrderNumber).toBe('H46.22-250801-0001-KQ');
    expect(order.CODAmount).toBe(0);
    expect(order.SenderDesc).toBe('');
    expect(order.SenderDistrict).toBe(474);
    expect(order.Description).toBe('Chuyển trả kết quả H46.22-250801-0001: Cấp đổi giấy phép lái xe (1.001234)');
  });

  it('adds the pre-allocated ItemCode and the kind as FlagConfig in the lgsp variant', () => {
    expect(toVnpostOrder(pickup, { customerCode: 'C', variant: 'lgsp', itemCode: 'EL123456785VN' })).toMatchObject({ ItemCode: 'EL123456785VN', FlagConfig: '1' });
    expect(toVnpostOrder(delivery, { customerCode: 'C', variant: 'lgsp', itemCode: 'EL123456785VN' })).toMatchObject({ FlagConfig: '2' });
  });

  it('refuses the lgsp variant without an item code', () => {
    expect(() => toVnpostOrder(pickup, { customerCode: 'C', variant: 'lgsp' })).toThrow(TypeError);
  });
});

describe('fromVnpostEvent', () => {
  it('converts an event to a valid canonical report with +07:00 time, the event id and the item code', () => {
    const report = fromVnpostEvent({ Id: 812, ItemCode: 'EL123456785VN', StatusCode: 201, StatusMessage: 'Thu gom thành công', EventTime: '01/08/2025 08:30:05', POSID: 530100, Notes: 'Đã nhận 2 bộ hồ sơ' });
    expect(report).toStrictEqual({
      status: 'picked_up',
      operatorCode: '201',
      at: '2025-08-01T08:30:05+07:00',
      message: 'Thu gom thành công',
      postOffice: '530100',
      note: 'Đã nhận 2 bộ hồ sơ',
      eventId: '812',
      itemCode: 'EL123456785VN',
    });
    const { eventId: _eventId, itemCode: _itemCode, ...canonical } = report!;
    expect([...Value.Errors(ShipmentReport, canonical)]).toEqual([]);
  });

  it('leaves out empty, null and absent optional fields and strips control characters', () => {
    expect(fromVnpostEvent({ StatusCode: '400', StatusMessage: ' Phát\u0000 thành công ', EventTime: '31/12/2025 23:59:59', Notes: null, POSID: '' })).toStrictEqual({
      status: 'delivered',
      operatorCode: '400',
      at: '2025-12-31T23:59:59+07:00',
      message: 'Phát  thành công',
    });
  });

  it('answers undefined for an unknown status code, an ISO time, or an impossible date', () => {
    expect(fromVnpostEvent({ StatusCode: '999', EventTime: '01/08/2025 08:30:05' })).toBeUndefined();
    expect(fromVnpostEvent({ StatusCode: '100', EventTime: '2025-08-01T08:30:05+07:00' })).toBeUndefined();
    expect(fromVnpostEvent({ StatusCode: '100', EventTime: '30/02/2025 08:30:05' })).toBeUndefined();
    expect(fromVnpostEvent({ StatusCode: '100', EventTime: '01/08/2025 24:00:00' })).toBeUndefined();
  });
});

describe('epoch EventTime (the NGSP SDK: a Java Long)', () => {
  it('reads epoch milliseconds and epoch seconds as the same instant, in Vietnam time', () => {
    const ms = Date.parse('2025-08-01T08:30:05+07:00');
    expect(fromVnpostEvent({ StatusCode: 201, EventTime: ms })?.at).toBe('2025-08-01T08:30:05+07:00');
    expect(fromVnpostEvent({ StatusCode: 201, EventTime: ms / 1000 })?.at).toBe('2025-08-01T08:30:05+07:00');
  });

  it('reads no time from zero, a negative, a fraction or a year past 9999', () => {
    for (const t of [0, -5, 1.5, 1e17]) expect(fromVnpostEvent({ StatusCode: 201, EventTime: t }), String(t)).toBeUndefined();
  });
});

describe('EventTime', () => {
  it('writes an instant as Vietnam wall-clock time and reads it back to the same instant', () => {
    const at = new Date('2024-12-31T17:20:05Z');
    expect(toEventTime(at)).toBe('01/01/2025 00:20:05');
    expect(Date.parse(eventTimeToRfc3339(toEventTime(at))!)).toBe(at.getTime());
  });
});

describe('status table', () => {
  it('maps every code to a canonical status and reaches every canonical status', () => {
    expect(new Set(VNPOST_STATUSES.map((s) => s.status))).toEqual(new Set(SHIPMENT_STATUSES));
    expect(new Set(VNPOST_STATUSES.map((s) => s.code)).size).toBe(VNPOST_STATUSES.length);
    expect(canonicalStatus(100)).toBe('registered');
    expect(canonicalStatus(' 501 ')).toBe('returned');
    expect(canonicalStatus('000')).toBeUndefined();
  });

  it('is the same table as the one in README.md', () => {
    const readme = readFileSync(new URL('../../adapters/postal-bcci/README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Status codes'), readme.indexOf('\n## ', readme.indexOf('## Status codes') + 1));
    const rows = [...section.matchAll(/^\| (\d{3}) \| (.+?) \| (\w+) \|$/gm)].map(([, code, message, status]) => ({ code, message, status }));
    expect(rows).toEqual(VNPOST_STATUSES.map((s) => ({ ...s })));
  });
});
