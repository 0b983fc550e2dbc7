// The catalogues the simulator serves on its sharing endpoint, in the shapes the portal answers
// (field names as OpenCPS reads them, see README.md "Catalogues"). Codes follow the golden fixtures
// and the test partners' agencies, so a test can look up what it syncs.
import type { PortalCatalogueItem } from './wire.js';

export interface SimulatorCatalogues {
  /** LayDanhMucCoQuan */
  agencies: PortalCatalogueItem[];
  /** LayDanhMucLinhVuc */
  fields: PortalCatalogueItem[];
  /** LayDanhSachTTHC: the short entries; LayThuTuc answers the full one from `procedureDetails`. */
  procedures: PortalCatalogueItem[];
  /** LayThuTuc, by MATTHC. */
  procedureDetails: Map<string, PortalCatalogueItem>;
}

const agency = (code: string, name: string, level: string, parent: string) => ({ MADONVI: code, TENDONVI: name, CAPDONVI: level, MADONVICHA: parent });
const field = (code: string, name: string, sector: string) => ({ MALINHVUC: code, TENLINHVUC: name, MANGANH: sector });

function procedure(code: string, name: string, fieldCode: string, fieldName: string, days: number, fee: number, papers: [string, string][], result: [string, string]): PortalCatalogueItem {
  return {
    MATTHC: code,
    TENTTHC: name,
    MACOQUANCONGBO: 'G12',
    TRANGTHAI: 1,
    LINHVUCTHUCHIEN: [{ MALINHVUC: fieldCode, TENLINHVUC: fieldName }],
    CACHTHUCTHUCHIEN: [1, 2, 3].map((channel) => ({
      KENH: channel,
      THOIGIAN: [
        {
          THOIGIANGIAIQUYET: days,
          DONVITINH: 'Ngày làm việc',
          MOTA: '',
          PHILEPHI: fee > 0 ? [{ MAPHILEPHI: `LP-${code}`, SOTIEN: fee, DONVI: 'Đồng', MOTA: 'Lệ phí' }] : [],
        },
      ],
    })),
    THANHPHANHOSO: [
      {
        TRUONGHOP: 'Trường hợp thông thường',
        GIAYTO: papers.map(([paperCode, paperName]) => ({ MAGIAYTO: paperCode, TENGIAYTO: paperName, TENMAUDON: '', URL: '', SOBANCHINH: 1, SOBANSAO: 0 })),
      },
    ],
    TRINHTUTHUCHIEN: [
      {
        TRUONGHOP: 'Trường hợp thông thường',
        TRINHTU: [
          { TENTRINHTU: 'Bước 1: Nộp hồ sơ tại Bộ phận Một cửa hoặc trên Cổng Dịch vụ công quốc gia' },
          { TENTRINHTU: 'Bước 2: Cán bộ tiếp nhận kiểm tra, hướng dẫn bổ sung nếu hồ sơ chưa đầy đủ' },
          { TENTRINHTU: 'Bước 3: Giải quyết và trả kết quả' },
        ],
      },
    ],
    YEUCAU: 'Không',
    MOTADOITUONGTHUCHIEN: 'Công dân Việt Nam, tổ chức',
    KETQUATHUCHIEN: [{ MAKETQUA: result[0], TENKETQUA: result[1] }],
    CANCUPHAPLY: [{ SOVANBAN: '60/2014/QH13', TENVANBAN: 'Luật Hộ tịch' }],
    COQUANTHUCHIEN: [{ MADONVI: '000.00.12.H26', TENDONVI: 'UBND phường Ba Đình' }],
  };
}

export function defaultCatalogues(): SimulatorCatalogues {
  const details = [
    procedure('1.001612', 'Đăng ký khai sinh', 'G12-TP02', 'Hộ tịch', 1, 0, [['HT.TK01', 'Tờ khai đăng ký khai sinh'], ['HT.GT02', 'Giấy chứng sinh']], ['KQ.HT01', 'Giấy khai sinh']),
    procedure('1.004227', 'Cấp bản sao trích lục hộ tịch', 'G15-TP02', 'Hộ tịch', 1, 8000, [['HT.TK05', 'Tờ khai cấp bản sao trích lục hộ tịch']], ['HT.KQ05', 'Bản sao trích lục hộ tịch']),
    procedure('1.001193', 'Cấp bản sao trích lục hộ tịch', 'G12-TP02', 'Hộ tịch', 1, 8000, [['HT.TK05', 'Tờ khai cấp bản sao trích lục hộ tịch']], ['HT.KQ05', 'Bản sao trích lục hộ tịch']),
    procedure('2.001005', 'Cấp giấy chứng nhận đăng ký hộ kinh doanh', 'G12-KH01', 'Thành lập và hoạt động của hộ kinh doanh', 3, 100000, [['KD.01', 'Giấy đề nghị đăng ký hộ kinh doanh']], ['KD.KQ01', 'Giấy chứng nhận đăng ký hộ kinh doanh']),
    procedure('1.000656', 'Chứng thực bản sao từ bản chính giấy tờ, văn bản', 'G12-CT01', 'Chứng thực', 0, 2000, [['CT.01', 'Bản chính giấy tờ cần chứng thực']], ['CT.KQ01', 'Bản sao được chứng thực']),
  ];
  return {
    agencies: [
      agency('000.00.00.H26', 'UBND Thành phố Hà Nội', '1', ''),
      agency('000.00.12.H26', 'UBND phường Ba Đình', '3', '000.00.00.H26'),
      agency('000.00.20.H26', 'UBND phường Hoàn Kiếm', '3', '000.00.00.H26'),
      agency('000.00.07.H40', 'UBND xã Nghi Lộc', '3', '000.00.00.H40'),
      agency('000.00.15.H31', 'UBND phường Hồng Bàng', '3', '000.00.00.H31'),
      agency('000.22.19.H55', 'UBND phường Thủ Dầu Một', '3', '000.00.00.H55'),
      agency('000.00.03.H79', 'UBND phường Sài Gòn', '3', '000.00.00.H79'),
    ],
    fields: [
      field('G12-TP02', 'Hộ tịch', 'G12'),
      field('G15-TP02', 'Hộ tịch', 'G15'),
      field('G12-CT01', 'Chứng thực', 'G12'),
      field('G12-KH01', 'Thành lập và hoạt động của hộ kinh doanh', 'G12'),
      field('G12-DD01', 'Đất đai', 'G12'),
      field('G12-XD01', 'Hoạt động xây dựng', 'G12'),
    ],
    procedures: details.map((d) => ({ MATTHC: d.MATTHC, TENTTHC: d.TENTTHC, MALINHVUC: (d.LINHVUCTHUCHIEN as { MALINHVUC: string }[])[0]!.MALINHVUC })),
    procedureDetails: new Map(details.map((d) => [String(d.MATTHC), d])),
  };
}
