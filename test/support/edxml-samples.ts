// Sample edXML envelopes for tests: a one-stop dossier hand-over with Vietnamese text, and a status.
import type { Envelope, ManifestReference, Organ, StatusCode } from '../../adapters/edxml/model.js';
import { DOSSIER_HANDOVER } from '../../adapters/edxml/model.js';

export const COMMUNE: Organ = { organId: '000.00.20.H26', organizationInCharge: 'UBND phường Ba Đình', organName: 'Bộ phận Một cửa phường Ba Đình', organAdd: 'Số 1 Đội Cấn, Ba Đình, Hà Nội', email: 'motcua@badinh.hanoi.gov.vn', telephone: '024 3823 0000', fax: '', website: 'https://badinh.hanoi.gov.vn' };
export const DEPARTMENT: Organ = { organId: '000.00.05.H26', organName: 'Sở Tài nguyên và Môi trường Hà Nội' };
export const SPECIALISED: Organ = { organId: '000.00.07.H26', organName: 'Văn phòng Đăng ký đất đai Hà Nội' };

export function documentEnvelope(options: { from?: Organ; to?: Organ[]; documentId?: string; manifest?: ManifestReference[]; dossierCode?: string; at?: string } = {}): Extract<Envelope, { kind: 'document' }> {
  const from = options.from ?? COMMUNE;
  const dossierCode = options.dossierCode ?? '000.00.20.H26-251123-0001';
  return {
    kind: 'document',
    messageHeader: {
      from,
      to: options.to ?? [DEPARTMENT],
      code: { codeNumber: dossierCode, codeNotation: '1.004227' },
      promulgationInfo: { place: 'Hà Nội', promulgationDate: '2025/11/23' },
      documentType: { type: '1', typeName: 'Hồ sơ thủ tục hành chính' },
      subject: 'Chuyển hồ sơ đăng ký biến động đất đai của ông Nguyễn Văn Đức',
      content: 'Đề nghị Sở thẩm định và giải quyết theo thẩm quyền; hồ sơ gồm đơn & bản vẽ <trích đo>.',
      signerInfo: { competence: 'KT. Chủ tịch', position: 'Phó Chủ tịch', fullName: 'Trần Thị Hoà' },
      dueDate: '2025/12/05',
      toPlaces: { places: ['Sở Tài nguyên và Môi trường'] },
      otherInfo: { priority: '0', pageAmount: '3', appendixes: { appendixes: ['Bản vẽ trích đo địa chính'] }, applicationType: DOSSIER_HANDOVER },
      responseFor: [],
      steeringType: '0',
      documentId: options.documentId ?? `${from.organId},2025/11/23,${dossierCode}`,
    },
    traces: [{ organId: from.organId, timestamp: options.at ?? '2025/11/23 08:30:00' }],
    business: { bussinessDocType: '0', bussinessDocReason: 'Hồ sơ mới', staffInfo: { department: 'Bộ phận Một cửa', staff: 'Lê Thị Hoa' }, paper: '0' },
    manifest: options.manifest ?? [],
  };
}

export function statusEnvelope(document: Extract<Envelope, { kind: 'document' }>, from: Organ, statusCode: StatusCode, description: string): Extract<Envelope, { kind: 'status' }> {
  const h = document.messageHeader;
  return {
    kind: 'status',
    status: {
      responseFor: { organId: h.from.organId, code: `${h.code.codeNumber}/${h.code.codeNotation}`, promulgationDate: h.promulgationInfo.promulgationDate, documentId: h.documentId },
      from,
      statusCode,
      description,
      timestamp: '2025/11/23 09:00:00',
      staffInfo: { department: 'Phòng Đăng ký đất đai', staff: 'Phạm Văn Bình' },
    },
    traces: [{ organId: from.organId, timestamp: '2025/11/23 09:00:00' }],
  };
}
