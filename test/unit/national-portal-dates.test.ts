import { describe, expect, it } from 'vitest';
import { parsePortalDate, toPortalDate } from '../../adapters/national-portal/dates.js';

describe('toPortalDate', () => {
  it('keeps a Vietnam time as it is', () => {
    expect(toPortalDate('2025-08-05T08:15:30+07:00')).toBe('20250805081530');
  });

  it('converts UTC to Vietnam time across midnight, month and year ends', () => {
    expect(toPortalDate('2024-12-31T17:20:05+00:00')).toBe('20250101002005');
    expect(toPortalDate('2024-12-31T23:30:00Z')).toBe('20250101063000');
    expect(toPortalDate('2025-01-31T17:00:00z')).toBe('20250201000000');
  });

  it('converts any other offset, negative and half-hour ones included', () => {
    expect(toPortalDate('2025-01-02T08:45:00+09:00')).toBe('20250102064500');
    expect(toPortalDate('2025-03-01T12:00:00-05:00')).toBe('20250302000000');
    expect(toPortalDate('2025-03-01T12:00:00+05:30')).toBe('20250301133000');
  });

  it('lands on 29 February in a leap year', () => {
    expect(toPortalDate('2024-02-28T20:00:00+00:00')).toBe('20240229030000');
    expect(toPortalDate('2025-02-28T20:00:00+00:00')).toBe('20250301030000');
  });

  it('drops fractions of a second rather than rounding up', () => {
    expect(toPortalDate('2025-08-05T09:02:11.999999999+07:00')).toBe('20250805090211');
  });

  it('does not depend on the process time zone', () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(toPortalDate('2025-06-30T23:59:59-07:00')).toBe('20250701135959');
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('refuses strings without an offset and impossible dates', () => {
    expect(() => toPortalDate('2025-08-05T08:15:30')).toThrow(RangeError);
    expect(() => toPortalDate('2025-08-05 08:15:30+07:00')).toThrow(RangeError);
    expect(() => toPortalDate('2025-02-30T08:00:00+07:00')).toThrow(RangeError);
    expect(() => toPortalDate('2025-08-05T24:00:00+07:00')).toThrow(RangeError);
    expect(() => toPortalDate('2025-08-05T08:00:00+25:00')).toThrow(RangeError);
  });
});

describe('parsePortalDate', () => {
  it('reads 14 digits as Vietnam wall-clock time', () => {
    expect(parsePortalDate('20250101063000')?.toISOString()).toBe('2024-12-31T23:30:00.000Z');
  });

  it('is the inverse of toPortalDate', () => {
    const instant = '2025-10-20T14:47:03.000Z';
    expect(parsePortalDate(toPortalDate(instant))?.toISOString()).toBe(instant);
  });

  it('refuses anything but exactly 14 digits of a real date-time', () => {
    for (const bad of ['', '2025010106300', '202501010630000', '2025-01-01 06:30', '20250230120000', '20250101246000', '2025010112000a']) {
      expect(parsePortalDate(bad), bad).toBeUndefined();
    }
  });
});
