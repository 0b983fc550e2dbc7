// The bodies the benchmark offers: test/support/dossiers.ts's sample dossier, made unique per code
// and given what a real one carries: three submitted papers (links on the allow-listed one-stop
// file server, with their SHA-256) and two fees. About 2 KB of JSON each.
import { createHash } from 'node:crypto';
import type { Dossier } from '../schemas/dossier.js';
import { TEST_AGENCY, sampleDossier } from '../test/support/dossiers.js';

export const BENCH_AGENCY = TEST_AGENCY;
export const FILE_SERVER = 'https://motcua.hanoi.example.vn/files/';

const PAPERS = [
  { id: 'tp1', name: 'Tờ khai cấp bản sao trích lục hộ tịch', componentCode: 'G12-TP02-TK01', file: 'to-khai.pdf' },
  { id: 'tp2', name: 'Bản sao Căn cước công dân của người yêu cầu', componentCode: 'G12-TP02-CCCD', file: 'cccd.pdf' },
  { id: 'tp3', name: 'Giấy ủy quyền (nếu có)', componentCode: 'G12-TP02-UQ', file: 'uy-quyen.pdf' },
];

export function benchDossier(code: string, i: number): Dossier {
  return sampleDossier(code, {
    summary: `Cấp bản sao trích lục khai sinh, hồ sơ thử tải số ${i}`,
    applicant: {
      kind: 'citizen',
      name: 'Phạm Văn Bình',
      idNumber: `0010900${String(i % 100_000).padStart(5, '0')}`,
      phone: '0987654321',
      email: 'binh.pham@example.vn',
      address: { line: 'Số 12 phố Đội Cấn', provinceCode: '01', communeCode: '00004' },
    },
    documents: PAPERS.map((p) => ({
      id: p.id,
      name: p.name,
      componentCode: p.componentCode,
      url: `${FILE_SERVER}${code}/${p.file}`,
      sha256: createHash('sha256').update(`${code}/${p.file}`).digest('hex'),
      digitised: true,
    })),
    fees: [
      { code: 'LPHT01', name: 'Lệ phí cấp bản sao trích lục hộ tịch', amount: 8_000, kind: 'fee', collection: 'online', paidOnline: true },
      { code: 'PBC02', name: 'Cước dịch vụ bưu chính công ích trả kết quả', amount: 25_000, kind: 'charge', collection: 'online', paidOnline: true },
    ],
  });
}
