import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { canTransition } from '../../src/core/status.js';
import { toDossierItem, toProgressItem, type TranslateContext } from '../../adapters/national-portal/translate.js';
import { goldenContext, loadGoldenCases } from '../fixtures/national-portal/fixtures.js';

// The schema names these formats; a plain check is enough to know the fixtures are canonical input.
if (!FormatRegistry.Has('email')) FormatRegistry.Set('email', (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v));
if (!FormatRegistry.Has('uri')) FormatRegistry.Set('uri', (v) => URL.canParse(v));

const cases = loadGoldenCases();

describe('golden fixtures', () => {
  it('cover the five required situations', () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
    expect(cases.filter((c) => c.events.length > 0).length).toBeGreaterThanOrEqual(3);
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it('is a valid canonical dossier with valid events', () => {
      expect([...Value.Errors(Dossier, c.dossier)]).toEqual([]);
      for (const e of c.events) expect([...Value.Errors(DossierEvent, e)]).toEqual([]);
    });

    it('has events that the status machine accepts after the dossier, so end-to-end tests can replay them', () => {
      let status = c.dossier.status;
      for (const e of c.events) {
        expect(canTransition(status, e.status), `${status} → ${e.status}`).toBe(true);
        status = e.status;
      }
    });

    it('translates to exactly the golden portal item', () => {
      expect(toDossierItem(c.dossier, goldenContext)).toStrictEqual(c.portal);
    });

    it('translates its events to exactly the golden progress items', () => {
      expect(c.events.map((e) => toProgressItem(c.dossier.code, e))).toStrictEqual(c.progress);
    });
  });
});

describe('toDossierItem', () => {
  const base = cases[0]!.dossier;

  it('gives the attachment context only the file reference of each paper', () => {
    const seen: unknown[] = [];
    const ctx: TranslateContext = { attachmentUrl: (ref) => (seen.push(ref), undefined) };
    const item = toDossierItem(base, ctx);
    expect(seen).toEqual([
      { fileId: '3b1f6c2e-9d4a-4e57-8a61-0c2f9e7b5d13', url: undefined },
      { fileId: undefined, url: 'https://motcua.hanoi.example.vn/files/giay-chung-sinh-0042.pdf' },
    ]);
    // No URL the gateway can serve means an empty link, never a made-up one.
    expect(item.TaiLieuNop.map((d) => d.DuongDanTaiTepTin)).toEqual(['', '']);
  });

  it('lists each identity paper once, the ID number first', () => {
    const d: Dossier = {
      ...base,
      applicant: {
        ...base.applicant,
        identifiers: [
          { type: 'passport', number: 'B7654321' },
          { type: 'citizen-id', number: base.applicant.idNumber! },
        ],
      },
    };
    expect(toDossierItem(d, goldenContext).DinhDanhCHS).toEqual([
      { LoaiDinhDanh: '1', SoDinhDanh: base.applicant.idNumber },
      { LoaiDinhDanh: '3', SoDinhDanh: 'B7654321' },
    ]);
  });

  it('writes every status as its national code', () => {
    const codes = (['NEW', 'RECEIVED', 'REJECTED', 'PROCESSING', 'SUPPLEMENT_REQUESTED', 'PAYMENT_REQUESTED', 'WITHDRAWN', 'SUSPENDED', 'COMPLETED', 'RETURNED'] as const).map(
      (status) => toDossierItem({ ...base, status }, goldenContext).TrangThaiHoSo,
    );
    expect(codes).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });
});

describe('pass-through portal fields (issue 15)', () => {
  const base = cases[0]!.dossier;

  it('are sent as they are, after the fields the gateway computes, nested ones too', () => {
    const documents = (base.documents ?? []).map((doc, i) => (i === 0 ? { ...doc, portalFields: { DuocLayTuKhoDMQG: '1', MaKetQuaThayThe: '' } } : doc));
    const d: Dossier = { ...base, documents, portalFields: { DSKetNoiCSDL: [{ MaCSDL: '7' }] } };
    expect([...Value.Errors(Dossier, d)]).toEqual([]);
    const item = toDossierItem(d, goldenContext);
    expect(item).toMatchObject({ DSKetNoiCSDL: [{ MaCSDL: '7' }] });
    expect(item.TaiLieuNop[0]).toMatchObject({ DuocLayTuKhoDMQG: '1', MaKetQuaThayThe: '' });
  });

  it('never override a field the gateway computes, nor bring back one it leaves out', () => {
    const { channel: _channel, ...withoutChannel } = base;
    const d: Dossier = { ...withoutChannel, portalFields: { TrangThaiHoSo: '10', MaHoSo: 'OTHER', KenhThucHien: '2', DSKetNoiCSDL: [] } };
    const item = toDossierItem(d, goldenContext);
    expect(item.TrangThaiHoSo).toBe(toDossierItem(base, goldenContext).TrangThaiHoSo);
    expect(item.MaHoSo).toBe(base.code);
    expect(item).not.toHaveProperty('KenhThucHien');
    expect(item).toHaveProperty('DSKetNoiCSDL', []);
    const event: DossierEvent = { ...cases.find((c) => c.events.length > 0)!.events[0]!, portalFields: { TrangThai: '1', MaCanBo: 'CB-1' } };
    const progress = toProgressItem(base.code, event);
    expect(progress.TrangThai).not.toBe('1');
    expect(progress).toHaveProperty('MaCanBo', 'CB-1');
  });

  it('writes IsDeleted as both public clients do, "True"/"False"', () => {
    const documents = (base.documents ?? []).map((doc) => ({ ...doc, deleted: true }));
    expect(toDossierItem({ ...base, documents }, goldenContext).TaiLieuNop.map((p) => p.IsDeleted)).toEqual(documents.map(() => 'True'));
  });
});
