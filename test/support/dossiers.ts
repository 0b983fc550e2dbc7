// Small canonical dossiers and events for tests that are about the path, not the mapping
// (the mapping has its golden fixtures in test/fixtures/national-portal).
import type { Dossier, DossierEvent, DossierStatus } from '../../schemas/dossier.js';

export const TEST_AGENCY = '000.00.20.H26';

export function sampleDossier(code: string, overrides: Partial<Dossier> = {}): Dossier {
  return {
    code,
    procedure: { code: '1.001193', name: 'Cấp bản sao trích lục hộ tịch', field: { code: 'G12-TP02', name: 'Hộ tịch' } },
    agency: { code: TEST_AGENCY, name: 'UBND phường Ba Đình' },
    channel: 'online',
    applicant: { kind: 'citizen', name: 'Phạm Văn Bình', idNumber: '001090009999', phone: '0987654321', email: 'binh.pham@example.vn' },
    summary: 'Cấp bản sao trích lục khai sinh',
    submittedAt: '2025-09-01T08:00:00+07:00',
    receivedAt: '2025-09-01T08:30:00+07:00',
    dueAt: '2025-09-03T17:00:00+07:00',
    status: 'RECEIVED',
    processingUnit: 'Bộ phận Một cửa UBND phường Ba Đình',
    ...overrides,
  };
}

export function sampleEvent(sequence: number, status: DossierStatus, overrides: Partial<DossierEvent> = {}): DossierEvent {
  const minute = String(sequence % 60).padStart(2, '0');
  return {
    sequence,
    status,
    at: `2025-09-02T09:${minute}:00+07:00`,
    actor: { name: 'Lê Thị Hoa', title: 'Chuyên viên', department: 'Phòng Tư pháp' },
    note: `Bước ${sequence}`,
    ...overrides,
  };
}
