import { describe, expect, it } from 'vitest';
import { arrayElementBytes } from '../../src/portal-compatible/item-bytes.js';

const cut = (text: string, name = 'data') => arrayElementBytes(Buffer.from(text, 'utf8'), name)?.map((b) => b.toString('utf8'));

describe('arrayElementBytes', () => {
  it('cuts each item exactly as it was received, spacing and key order included', () => {
    const text = '{ "session":"s", "data" : [ {"MaHoSo":"A", "ChuHoSo":"Đỗ Thị Hương"} ,\n\t{"MaHoSo":"B","DanhSachLePhi":[{"Gia":"8000"}]} ] }';
    expect(cut(text)).toEqual(['{"MaHoSo":"A", "ChuHoSo":"Đỗ Thị Hương"}', '{"MaHoSo":"B","DanhSachLePhi":[{"Gia":"8000"}]}']);
  });

  it('is not fooled by brackets, commas, quotes and the member name inside strings', () => {
    const text = '{"service":"data","note":"] , [ \\" {","data":[{"GhiChu":"a ], \\"data\\": [b"},{"x":"}"}]}';
    const items = cut(text)!;
    expect(items.map((i) => JSON.parse(i))).toEqual(JSON.parse(text).data);
  });

  it('takes the last member of that name, as JSON.parse does, and ignores nested ones', () => {
    expect(cut('{"data":[{"a":1}],"x":{"data":[{"nested":1}]},"data":[{"b":2},{"c":3}]}')).toEqual(['{"b":2}', '{"c":3}']);
  });

  it('answers undefined without such a list, and an empty list for []', () => {
    expect(cut('{"session":"s"}')).toBeUndefined();
    expect(cut('{"data":[ ]}')).toEqual([]);
  });
});
