// Request and response examples for the OpenAPI document, so that Swagger UI shows real shapes
// instead of strings generated from patterns. The values are those of the tests' fixtures
// (test/fixtures/national-portal/01-citizen-online-vneid.*, test/fixtures/portal-compatible/*, the
// postal and payment tests); test/e2e/openapi.test.ts checks each example against its schema.

const dossier = {
  code: '000.00.12.H26-250805-0042',
  procedure: { code: '1.001612', name: 'Đăng ký khai sinh', field: { code: 'G12-TP02', name: 'Hộ tịch' } },
  agency: { code: '000.00.12.H26', name: 'UBND phường Hoàn Kiếm' },
  channel: 'online',
  applicant: { kind: 'citizen', name: 'Nguyễn Thị Lan Anh', idNumber: '001195012345', phone: '0912345678', email: 'lananh.nguyen@example.vn' },
  summary: 'Đăng ký khai sinh cho con thứ hai, Trần Minh Khôi',
  submittedAt: '2025-08-05T08:15:30+07:00',
  receivedAt: '2025-08-05T09:02:11.250+07:00',
  dueAt: '2025-08-06T17:00:00+07:00',
  status: 'RECEIVED',
  processingUnit: 'Bộ phận Một cửa UBND phường Hoàn Kiếm',
};

const event = {
  sequence: 1,
  status: 'PROCESSING',
  at: '2025-08-05T10:30:00+07:00',
  actor: { name: 'Đỗ Văn Hùng', title: 'Công chức tư pháp - hộ tịch', department: 'Bộ phận Tư pháp' },
  note: 'Chuyển xử lý',
};

const citizen = { name: 'Nguyễn Thị Lan', phone: '0912345678', email: 'lan.nguyen@example.vn', address: { line: 'Số 12 ngõ 34 phố Kim Mã', provinceCode: '01', communeCode: '00004' } };
const agency = { name: 'Bộ phận Một cửa UBND phường Ba Đình', phone: '02438234567', address: { line: '25 Liễu Giai', provinceCode: '01', communeCode: '00004' } };

/** Request body examples by `METHOD /path` as the document spells the path. */
export const REQUEST_EXAMPLES: Record<string, unknown> = {
  'POST /v1/dossiers': dossier,
  'POST /v1/dossiers/{code}/events': event,
  'POST /v1/postal/shipments': {
    kind: 'pickup',
    dossierCode: 'POSTAL-D-1',
    sender: citizen,
    receiver: agency,
    procedure: { code: '1.001193', name: 'Cấp bản sao trích lục hộ tịch' },
    note: 'Gọi trước khi đến',
  },
  'POST /v1/payments': {
    dossierCode: '000.00.12.H26-250805-0042',
    lines: [{ code: 'LP01', name: 'Lệ phí cấp bản sao', kind: 'fee', amount: 8000 }],
    provider: 'national',
    returnUrl: 'https://motcua.hanoi.example.vn/thanh-toan/ket-qua',
    payer: { name: 'Trần Văn Minh', idNumber: '001090012345' },
    clientIp: '203.0.113.7',
  },
  'POST /v1/postal/callbacks': {
    OrderNumber: 'POSTAL-R-1',
    ItemCode: 'EL000000001VN',
    Events: [{ Id: '1', ItemCode: 'EL000000001VN', StatusCode: '100', StatusMessage: 'Đã nhận hàng', EventTime: '2025-09-02T09:00:00+07:00', POSID: '100000' }],
  },
  // A witness's C2SP cosignature line: key hash, time and signature, base64.
  'POST /v1/audit/checkpoints/{size}/cosignatures': { line: '— witness.example/w1 NA4ywqn/1BTL2oIg0wW9X1zFGC+iWXrvi0BKhx5WJmhKZ9x0JhAn3OcGS6WaBtZo6keXb3l19z2Zl7shvUwgOMNPqKNeROk49f7uTg==' },
  'POST /v1/admin/messages/replay': { destination: 'national-portal', errorPrefix: 'portal unavailable', deadFrom: '2025-08-05T00:00:00+07:00', dryRun: true },
  'POST /v1/admin/reconciliations': { provider: 'national', day: '2025-08-05' },
  'POST /portal-compatible/login': { username: 'hanoi-one-stop', password: 'the partner API key' },
  'POST /portal-compatible/integration': { session: 'the session from /login', madonvi: '000.00.12.H26', service: 'LayDanhMucLinhVuc' },
  'POST /portal-compatible/sharing': { session: 'the session from /login', madonvi: '000.00.12.H26', service: 'LayDanhMucCoQuan' },
};

/** Success body examples by `METHOD /path status`. */
export const RESPONSE_EXAMPLES: Record<string, unknown> = {
  'GET /healthz 200': { status: 'ok' },
  'GET /readyz 200': { status: 'ready', checks: { database: 'ok', redis: 'ok' } },
};

/** The problem every refusal carries, here a schema refusal. */
export const PROBLEM_EXAMPLE = {
  type: 'https://lgsp.gateway/problems/invalid-request',
  title: 'The request does not match the schema',
  status: 400,
  code: 'invalid-request',
  detail: 'The body does not match the schema',
  instance: '/v1/dossiers',
  errors: [{ path: '/status', message: 'must be equal to one of the allowed values', keyword: 'enum', allowedValues: ['RECEIVED', 'PROCESSING'] }],
};
