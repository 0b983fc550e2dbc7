// A stand-in for the national portal (Cổng DVCQG) integration endpoint: a real HTTP server that
// speaks the same protocol, checks what it receives as the portal would, keeps what it accepted,
// and fails on demand. Used by the tests, by `npm start` in development, and for demos.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { defaultCatalogues, type SimulatorCatalogues } from './sim-catalogues.js';
import { closeServer, listen, readBody, sendJson } from '../../src/infra/simulator-http.js';
import { parseVietnamTime } from '../../src/core/vietnam-time.js';
import { simulatorFaults, type FaultSwitches } from '../shared/simulator-faults.js';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default one account: lgsp / lgsp-dev. */
  accounts?: { username: string; password: string }[];
  /** Default '/login'. */
  loginPath?: string;
  /** Default '/integration'. */
  integrationPath?: string;
  /** Default '/sharing': the catalogue look-ups. */
  sharingPath?: string;
  /** Default 30 minutes. */
  sessionTtlMs?: number;
  /** When set, login requires exactly this dstcode; otherwise any non-empty one. */
  expectedDstcode?: string;
  /**
   * When set, every protocol call must carry a good `X-JWS-Signature`: this answers why one is not
   * (or undefined when it is), and the call is refused with HTTP 401.
   */
  checkSignature?: (body: Buffer, header: string | undefined) => string | undefined;
}

export interface SimulatorFaults {
  /** Every protocol answer waits this long. */
  delayMs?: number;
  /** The next N integration calls answer HTTP 500. */
  failNextCalls?: number;
  /** The next `count` integration calls answer this error_code and message. */
  errorCodeNextCalls?: { count: number; errorCode: number | string; message: string };
  /** The next N integration calls get their connection destroyed without an answer. */
  dropNextConnections?: number;
  /** A call containing one of these MaHoSo is refused with a validation error naming it. */
  poisonCodes?: string[];
  /** Refusals quote the whole request (session and personal data included), as careless servers do. */
  echoRequestInErrors?: boolean;
  /** Every protocol call (login too) answers HTTP 503 before it is read: the portal is down for maintenance. */
  unavailable?: boolean;
  /** The sharing endpoint answers HTTP 503: the portal's catalogues are out of reach. */
  cataloguesDown?: boolean;
}

export interface SimulatorCall {
  /** `login`, or the integration service called. */
  service: string;
  isUpdating?: boolean;
  codes: string[];
  /** The error_code answered, or `http-500` / `http-503` / `dropped` for injected faults. */
  answer: string;
  /** The W3C traceparent header received. */
  traceparent?: string;
  /** The X-JWS-Signature header received, and the exact body it should cover. */
  signature?: { header: string | undefined; body: Buffer };
}

/**
 * A dossier as the simulator keeps it: the item exactly as received. Only the fields it (or a test)
 * reads by name are typed, in the simulator's own terms, apart from the adapter's wire.ts.
 */
export interface ReceivedDossier {
  MaHoSo: string;
  TrangThaiHoSo: string;
  GhiChu: string;
  TaiLieuNop: { DuongDanTaiTepTin: string; [field: string]: unknown }[];
  [field: string]: unknown;
}

/** A progress item exactly as received. */
export interface ReceivedProgress {
  MaHoSo: string;
  TrangThai: string;
  [field: string]: unknown;
}

export interface PortalSimulator {
  url: string;
  /** Accepted dossiers, latest version, by MaHoSo. */
  dossiers: Map<string, ReceivedDossier>;
  /** Accepted progress items by MaHoSo, in arrival order. */
  progress: Map<string, ReceivedProgress[]>;
  calls: SimulatorCall[];
  /** `create:CODE`, `update:CODE`, `progress:CODE:TrangThai`, in acceptance order. */
  receivedOrder: string[];
  /** Every accepted DongBoHoSoMC / CapNhatTienDoHoSoMC call, its items exactly as received, in order: for field-by-field comparisons. */
  received: { service: 'DongBoHoSoMC' | 'CapNhatTienDoHoSoMC'; isUpdating?: boolean; items: Item[] }[];
  /** The error_code of every sharing (catalogue) call, apart from `calls`. */
  sharingCalls: string[];
  /** What the sharing endpoint serves; tests may change it between refreshes. */
  catalogues: SimulatorCatalogues;
  faults: FaultSwitches<SimulatorFaults>;
  expireSessions(): void;
  close(): Promise<void>;
  /** Listens again on the same address after close(), keeping what was accepted: the portal back from an outage. */
  reopen(): Promise<void>;
}

type Answer = { status: number; body: Item };
type Item = Record<string, unknown>;

// Portal error codes the simulator answers with (documented in README.md).
const CODE = { ok: '0', badRequest: '1', badLogin: '2', invalidData: '2', alreadyExists: '-3', notFound: '4', session: '-1' } as const;
const MAX_BODY_BYTES = 20 * 1024 * 1024;

// What the portal requires and how it reads values, as its public clients show it (README.md,
// "Simulator"): OpenCPS's DVCQGIntegrationActionImpl marks the fields it may leave empty "ko bb"
// (không bắt buộc) and never sends KenhThucHien or SoGiayToChuHoSo; the Thanh Hóa client
// (SyncLocalDataToDVCQGService) always fills TrichYeuHoSo ("Dinhkem" when empty), sends null for
// what it lacks, IsDeleted as "True"/"False", DuocTaiSuDung up to 2 and DuocThanhToanTrucTuyen up to 3.
const DOSSIER_REQUIRED = ['MaHoSo', 'MaTTHC', 'TenTTHC', 'MaLinhVuc', 'TenLinhVuc', 'TrichYeuHoSo', 'DonViXuLy'];
const DOSSIER_DATES = ['NgayNopHoSo', 'NgayTiepNhan', 'NgayHenTra', 'NgayTuChoi', 'NgayTra', 'NgayKetThucXuLy'];
/** Optional codes: [field, lowest, highest]. */
const DOSSIER_OPTIONAL_CODES: [string, number, number][] = [
  ['KenhThucHien', 1, 3],
  ['TaiKhoanDuocXacThucVoiVNeID', 0, 1],
  ['HoSoCoThanhPhanSoHoa', 0, 1],
  ['DuocThanhToanTrucTuyen', 0, 3],
  ['NoiNopHoSo', 1, 2],
];
const PAPER_OPTIONAL_CODES: [string, number, number][] = [
  ['DuocSoHoa', 0, 1],
  ['DuocTaiSuDung', 0, 2],
  ['DuocLayTuKhoDMQG', 0, 1],
];
const DOSSIER_LISTS = ['DinhDanhCHS', 'TaiLieuNop', 'DanhSachLePhi', 'DanhSachGiayToKetQua', 'DanhSachTepDinhKemKhac', 'DanhSachHoSoBoSung', 'DSKetNoiCSDL'];
const PROGRESS_REQUIRED = ['MaHoSo', 'NguoiXuLy'];
const PROGRESS_DATES = ['NgayBatDau', 'NgayKetThucTheoQuyDinh'];

export async function startNationalPortalSimulator(opts: SimulatorOptions = {}): Promise<PortalSimulator> {
  const loginPath = opts.loginPath ?? '/login';
  const integrationPath = opts.integrationPath ?? '/integration';
  const sharingPath = opts.sharingPath ?? '/sharing';
  const sessionTtlMs = opts.sessionTtlMs ?? 30 * 60 * 1000;
  const accounts = new Map((opts.accounts ?? [{ username: 'lgsp', password: 'lgsp-dev' }]).map((a) => [a.username, a.password]));
  const sessions = new Map<string, number>(); // token → expiry (ms since epoch)
  const faults = simulatorFaults<SimulatorFaults>();

  const sim: PortalSimulator = {
    url: '',
    dossiers: new Map(),
    progress: new Map(),
    calls: [],
    receivedOrder: [],
    received: [],
    sharingCalls: [],
    catalogues: defaultCatalogues(),
    faults,
    expireSessions() {
      sessions.clear();
    },
    close: () => Promise.resolve(),
    reopen: () => Promise.resolve(),
  };

  // --- protocol -----------------------------------------------------------------------------

  function login(req: IncomingMessage, body: unknown): Answer {
    const dstcode = req.headers.dstcode;
    if (typeof dstcode !== 'string' || dstcode === '') return refuse(CODE.badRequest, 'Thiếu header dstcode');
    if (opts.expectedDstcode !== undefined && dstcode !== opts.expectedDstcode) return refuse(CODE.badRequest, 'dstcode không đúng');
    const { username, password }: Item = isItem(body) ? body : {};
    if (typeof username !== 'string' || typeof password !== 'string' || accounts.get(username) !== password) {
      return refuse(CODE.badLogin, 'Sai tên đăng nhập hoặc mật khẩu');
    }
    const session = randomBytes(24).toString('hex');
    sessions.set(session, Date.now() + sessionTtlMs);
    return { status: 200, body: { error_code: 0, session } };
  }

  /** The session and madonvi every protocol call carries; an answer when they are not good. */
  function unauthorised(body: unknown): Answer | undefined {
    if (!isItem(body)) return refuse(CODE.badRequest, 'Yêu cầu không hợp lệ');
    const expiry = typeof body.session === 'string' ? sessions.get(body.session) : undefined;
    if (expiry === undefined || expiry < Date.now()) return refuse(CODE.session, 'Session không hợp lệ hoặc đã hết hạn');
    if (typeof body.madonvi !== 'string' || body.madonvi === '') return refuse(CODE.badRequest, 'Thiếu madonvi');
    return undefined;
  }

  function share(body: unknown): Answer {
    if (faults.current.cataloguesDown) return { status: 503, body: { error_code: '503', message: 'Service Unavailable' } };
    const refused = unauthorised(body);
    if (refused || !isItem(body)) return refused ?? refuse(CODE.badRequest, 'Yêu cầu không hợp lệ');
    const ok = (result: unknown[]) => ({ status: 200, body: { error_code: CODE.ok, message: 'Thành công', result } });
    const { catalogues } = sim;
    switch (body.service) {
      case 'LayDanhMucCoQuan':
        return ok(catalogues.agencies);
      case 'LayDanhMucLinhVuc':
        return ok(catalogues.fields);
      case 'LayDanhSachTTHC':
        return ok(catalogues.procedures);
      case 'LayThuTuc': {
        if (typeof body.maTTHC !== 'string' || body.maTTHC === '') return refuse(CODE.badRequest, 'Thiếu maTTHC');
        const found = catalogues.procedureDetails.get(body.maTTHC);
        return ok(found ? [found] : []);
      }
      default:
        return refuse(CODE.badRequest, 'Dịch vụ không được hỗ trợ');
    }
  }

  function integrate(body: unknown): Answer {
    const refused = unauthorised(body);
    if (refused || !isItem(body)) return refused ?? refuse(CODE.badRequest, 'Yêu cầu không hợp lệ');
    switch (body.service) {
      case 'TraCuuHoSo':
        return lookUp(body);
      case 'DongBoHoSoMC':
        return record(body, 'DongBoHoSoMC');
      case 'CapNhatTienDoHoSoMC':
        return record(body, 'CapNhatTienDoHoSoMC');
      default:
        return refuse(CODE.badRequest, 'Dịch vụ không được hỗ trợ');
    }
  }

  function lookUp(body: Item): Answer {
    const code = body.MaHoSo ?? body.mahoso; // OpenCPS sends the lower-case key
    const found = typeof code === 'string' ? sim.dossiers.get(code) : undefined;
    const result = found ? [{ MaHoSo: found.MaHoSo, TrangThaiHoSo: found.TrangThaiHoSo }] : [];
    return { status: 200, body: { error_code: CODE.ok, message: 'Thành công', result } };
  }

  /** All or nothing, like the portal: one bad item refuses the whole call and nothing is kept. */
  function record(body: Item, service: 'DongBoHoSoMC' | 'CapNhatTienDoHoSoMC'): Answer {
    const isUpdating = body.isUpdating;
    if (isUpdating !== undefined && isUpdating !== 'True' && isUpdating !== 'False') {
      return refuse(CODE.badRequest, 'isUpdating phải là "True" hoặc "False"');
    }
    if (service === 'DongBoHoSoMC' && isUpdating === undefined) return refuse(CODE.badRequest, 'Thiếu isUpdating');
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0 || !data.every(isItem)) return refuse(CODE.badRequest, 'data phải là danh sách hồ sơ');
    const poison = data.find((item) => faults.current.poisonCodes?.includes(String(item.MaHoSo)));
    if (poison) return refuse(CODE.invalidData, `Dữ liệu không hợp lệ: hồ sơ ${String(poison.MaHoSo)} sai cấu trúc`);

    for (const item of data) {
      const problem = service === 'DongBoHoSoMC' ? dossierProblem(item) : progressProblem(item);
      if (problem) return refuse(CODE.invalidData, `Dữ liệu không hợp lệ: hồ sơ ${String(item.MaHoSo)}: ${problem}`);
    }
    const updating = isUpdating === 'True';
    const seen = new Set<string>();
    for (const item of data) {
      const code = String(item.MaHoSo);
      const known = sim.dossiers.has(code) || seen.has(code);
      if (service === 'DongBoHoSoMC' && !updating && known) return refuse(CODE.alreadyExists, `Hồ sơ đã tồn tại: ${code}`);
      if ((service === 'CapNhatTienDoHoSoMC' || updating) && !sim.dossiers.has(code)) return refuse(CODE.notFound, `Hồ sơ không tồn tại: ${code}`);
      seen.add(code);
    }

    sim.received.push({ service, ...(isUpdating === undefined ? {} : { isUpdating: updating }), items: data });
    for (const item of data) {
      const code = String(item.MaHoSo);
      if (service === 'DongBoHoSoMC') {
        sim.dossiers.set(code, item as ReceivedDossier);
        sim.receivedOrder.push(`${updating ? 'update' : 'create'}:${code}`);
      } else {
        const list = sim.progress.get(code) ?? [];
        list.push(item as ReceivedProgress);
        sim.progress.set(code, list);
        sim.receivedOrder.push(`progress:${code}:${String(item.TrangThai)}`);
      }
    }
    return { status: 200, body: { error_code: CODE.ok, message: 'Đồng bộ thành công' } };
  }

  // --- HTTP ----------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, { status: 500, body: { error_code: '500', message: 'Lỗi hệ thống' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://simulator').pathname;
    if (path.startsWith('/__simulator/')) return control(req, res, path);
    if (req.method !== 'POST' || (path !== loginPath && path !== integrationPath && path !== sharingPath)) {
      return sendJson(res, { status: 404, body: { error_code: '404', message: 'Không tìm thấy' } });
    }
    if (path === sharingPath) {
      const answer = share(parseJson((await readBody(req, MAX_BODY_BYTES)).toString('utf8')));
      sim.sharingCalls.push(String(answer.body.error_code));
      return sendJson(res, answer);
    }
    const isIntegration = path === integrationPath;
    if (faults.current.unavailable) {
      sim.calls.push({ service: 'unknown', codes: [], answer: 'http-503' });
      res.writeHead(503, { 'retry-after': '60', 'content-type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    if (isIntegration && faults.take('dropNextConnections')) {
      sim.calls.push({ service: 'unknown', codes: [], answer: 'dropped' });
      req.socket.destroy();
      return;
    }
    const raw = await readBody(req, MAX_BODY_BYTES);
    await faults.wait('delayMs');
    const body = parseJson(raw.toString('utf8'));
    const header = typeof req.headers['x-jws-signature'] === 'string' ? req.headers['x-jws-signature'] : undefined;
    const unsigned = opts.checkSignature?.(raw, header);
    const answer = unsigned
      ? refuse(CODE.badRequest, `Chữ ký số không hợp lệ: ${unsigned}`, 401)
      : isIntegration
        ? integrationAnswer(body)
        : body === undefined
          ? refuse(CODE.badRequest, 'JSON không hợp lệ', 400)
          : login(req, body);
    const code = answer.status === 500 ? 'http-500' : String(answer.body.error_code);
    if (faults.current.echoRequestInErrors && code !== CODE.ok) answer.body.message = `${String(answer.body.message)} | Yêu cầu: ${raw.toString('utf8')}`;
    sim.calls.push({ ...(isIntegration ? describeCall(body) : { service: 'login', codes: [] }), answer: code, signature: { header, body: raw }, ...(typeof req.headers.traceparent === 'string' ? { traceparent: req.headers.traceparent } : {}) });
    sendJson(res, answer);
  }

  function integrationAnswer(body: unknown): Answer {
    if (faults.take('failNextCalls')) return { status: 500, body: { error_code: '500', message: 'Internal Server Error' } };
    const injected = faults.current.errorCodeNextCalls;
    if (injected && injected.count > 0) {
      faults.set({ errorCodeNextCalls: { ...injected, count: injected.count - 1 } });
      return { status: 200, body: { error_code: injected.errorCode, message: injected.message } };
    }
    return body === undefined ? refuse(CODE.badRequest, 'JSON không hợp lệ', 400) : integrate(body);
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/__simulator/state') {
      return sendJson(res, {
        status: 200,
        body: {
          dossiers: sim.dossiers.size,
          progressItems: [...sim.progress.values()].reduce((n, list) => n + list.length, 0),
          calls: sim.calls.length,
          sessions: sessions.size,
          faults: faults.current,
          lastCalls: sim.calls.slice(-20).map(({ signature, ...call }) => ({ ...call, signed: signature?.header !== undefined })),
          // The translated items as they arrived, so a developer sees what the gateway made of a dossier.
          lastItems: sim.received.flatMap(({ service, items }) => items.map((item) => ({ service, item }))).slice(-20),
        },
      });
    }
    const switched = path === '/__simulator/faults' && faults.control(req.method, parseJson((await readBody(req, MAX_BODY_BYTES)).toString('utf8')));
    if (switched) return sendJson(res, switched);
    if (req.method === 'POST' && path === '/__simulator/expire-sessions') {
      sim.expireSessions();
      return sendJson(res, { status: 200, body: { sessions: 0 } });
    }
    return sendJson(res, { status: 404, body: { error: 'unknown simulator route' } });
  }

  const bound = await listen(server, opts.port, opts.host);
  sim.url = bound.origin;
  sim.close = () => closeServer(server);
  sim.reopen = async () => {
    await listen(server, bound.port, bound.address);
  };
  return sim;
}

// --- checks, as the portal makes them ------------------------------------------------------------

function dossierProblem(item: Item): string | undefined {
  return (
    missing(item, DOSSIER_REQUIRED) ??
    (!item.NgayTiepNhan && !item.NgayNopHoSo ? 'cần NgayTiepNhan hoặc NgayNopHoSo' : undefined) ??
    badDates(item, DOSSIER_DATES) ??
    badCode(item, 'TrangThaiHoSo', 1, 10) ??
    badCode(item, 'LoaiDoiTuong', 1, 4) ??
    badCode(item, 'HinhThuc', 0, 1) ??
    badOptionalCodes(item, DOSSIER_OPTIONAL_CODES) ??
    DOSSIER_LISTS.map((f) => (item[f] == null || Array.isArray(item[f]) ? undefined : `${f} phải là danh sách`)).find(Boolean) ??
    listProblem(item.DinhDanhCHS, ['LoaiDinhDanh', 'SoDinhDanh']) ??
    listProblem(item.TaiLieuNop, ['TenTepDinhKem']) ??
    paperProblem(item.TaiLieuNop) ??
    listProblem(item.DSKetNoiCSDL, ['MaCSDL']) ??
    listProblem(item.DanhSachLePhi, ['TenPhiLePhi', 'Gia']) ??
    listProblem(item.DanhSachGiayToKetQua, ['TenGiayTo']) ??
    listProblem(item.DanhSachTepDinhKemKhac, ['TenGiayTo']) ??
    listProblem(item.DanhSachHoSoBoSung, ['HoSoBoSungId']) ??
    feePriceProblem(item.DanhSachLePhi)
  );
}

function progressProblem(item: Item): string | undefined {
  return (
    missing(item, PROGRESS_REQUIRED) ??
    (parseVietnamTime(String(item.ThoiDiemXuLy ?? '')) ? undefined : 'ThoiDiemXuLy phải có dạng yyyyMMddHHmmss') ??
    badDates(item, PROGRESS_DATES) ??
    badCode(item, 'TrangThai', 1, 10)
  );
}

function missing(item: Item, fields: string[]): string | undefined {
  const absent = fields.find((f) => typeof item[f] !== 'string' || (item[f] as string).trim() === '');
  return absent && `thiếu ${absent}`;
}

/** Dates are optional ('', null or absent), but when given they are exactly 14 digits naming a real date-time. */
function badDates(item: Item, fields: string[]): string | undefined {
  const bad = fields.find((f) => {
    const v = item[f];
    return v != null && v !== '' && (typeof v !== 'string' || !parseVietnamTime(v));
  });
  return bad && `${bad} phải có dạng yyyyMMddHHmmss`;
}

/** Codes may come as digit strings or as integers; both are read. */
function badCode(item: Item, field: string, min: number, max: number): string | undefined {
  const v = item[field];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? undefined : `${field} phải từ ${min} đến ${max}`;
}

/** Codes that may be left out (absent, null or ''), but when given lie in their range. */
function badOptionalCodes(item: Item, codes: [string, number, number][]): string | undefined {
  return codes.map(([field, min, max]) => (item[field] == null || item[field] === '' ? undefined : badCode(item, field, min, max))).find(Boolean);
}

/** A submitted paper's flags; IsDeleted is a .NET/Java boolean text, as both public clients write it. */
function paperProblem(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const paper of list.filter(isItem)) {
    const problem = badOptionalCodes(paper, PAPER_OPTIONAL_CODES);
    if (problem) return `TaiLieuNop: ${problem}`;
    if (paper.IsDeleted != null && paper.IsDeleted !== 'True' && paper.IsDeleted !== 'False') return 'TaiLieuNop: IsDeleted phải là "True" hoặc "False"';
  }
  return undefined;
}

function listProblem(list: unknown, required: string[]): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const entry of list) {
    if (!isItem(entry)) return 'phần tử danh sách không hợp lệ';
    const problem = missing(entry, required);
    if (problem) return problem;
  }
  return undefined;
}

function feePriceProblem(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.some((fee) => isItem(fee) && !/^\d+$/.test(String(fee.Gia))) ? 'Gia phải là số' : undefined;
}

// --- plumbing ------------------------------------------------------------------------------------

function refuse(errorCode: string, message: string, status = 200): Answer {
  return { status, body: { error_code: errorCode, message } };
}

function describeCall(body: unknown): Omit<SimulatorCall, 'answer'> {
  if (!isItem(body)) return { service: 'unknown', codes: [] };
  const codes = Array.isArray(body.data) ? body.data.filter(isItem).map((i) => String(i.MaHoSo)) : [];
  const call: Omit<SimulatorCall, 'answer'> = { service: String(body.service), codes };
  if (body.isUpdating === 'True' || body.isUpdating === 'False') call.isUpdating = body.isUpdating === 'True';
  return call;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isItem(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
