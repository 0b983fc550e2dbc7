// Vietnam wall-clock time, written once for every adapter: UTC+7, no daylight saving, independent of the process TZ.
import { describe, expect, it } from 'vitest';
import { compactVietnamDay, formatVietnamTime, fromVietnamWallClock, parseVietnamTime, vietnamRfc3339, vietnamWallClock } from '../../src/core/vietnam-time.js';

describe('Vietnam time', () => {
  it('formats an instant as yyyyMMddHHmmss seven hours ahead of UTC, across a year end', () => {
    expect(formatVietnamTime(new Date('2024-12-31T17:20:05.999Z'))).toBe('20250101002005');
    expect(formatVietnamTime(new Date('2025-08-05T01:15:30Z'))).toBe('20250805081530');
  });

  it('parses 14 digits back to the same instant, and refuses anything else', () => {
    expect(parseVietnamTime('20250101063000')?.toISOString()).toBe('2024-12-31T23:30:00.000Z');
    for (const bad of ['', '2025010106300', '202501010630000', '2025-01-01 06:30', '20250230120000', '20250101246000', '00500101000000']) {
      expect(parseVietnamTime(bad), bad).toBeUndefined();
    }
  });

  it('reads and builds wall-clock readings, refusing impossible ones', () => {
    expect(vietnamWallClock(new Date('2024-02-28T20:00:00Z'))).toEqual({ year: 2024, month: 2, day: 29, hour: 3, minute: 0, second: 0 });
    expect(fromVietnamWallClock({ year: 2025, month: 2, day: 29, hour: 0, minute: 0, second: 0 })).toBeUndefined();
    expect(fromVietnamWallClock({ year: 2025, month: 3, day: 1, hour: 7, minute: 0, second: 0 })?.toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });

  it('writes RFC 3339 with +07:00 and compacts real days only', () => {
    expect(vietnamRfc3339(new Date('2025-09-01T19:05:00Z'))).toBe('2025-09-02T02:05:00+07:00');
    expect(compactVietnamDay('2024-02-29')).toBe('20240229');
    for (const bad of ['2025-02-29', '20250101', '2025-1-01']) expect(compactVietnamDay(bad), bad).toBeUndefined();
  });

  it('refuses to write an invalid date or a year that four digits cannot hold', () => {
    expect(() => formatVietnamTime(new Date(NaN))).toThrow(RangeError);
    expect(() => formatVietnamTime(new Date('9999-12-31T17:00:00Z'))).toThrow(RangeError);
  });

  it('does not depend on the process time zone', () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(formatVietnamTime(new Date('2025-07-01T06:59:59Z'))).toBe('20250701135959');
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});
