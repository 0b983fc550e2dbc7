// The national-portal-compatible endpoint: one-stop software that speaks the portal's integration
// protocol (OpenCPS, vendor products) points its URL here instead of at the portal. Same paths,
// field names, dates and `error_code` answers; behind them, the gateway's own path: canonical
// model, validation, storage, message log, signatures and the retrying queue (docs/portal-compatible.md).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { isConnectionError } from '../store/connection-errors.js';
import { PORTAL_CATALOGUE_SERVICES, readPortalBoolean, type PortalCatalogueService } from '../../adapters/national-portal/index.js';
import { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { CertificateCatalog } from '../audit/certificates.js';
import { refusalSource, type RefusalLog } from '../audit/refusal-log.js';
import { Problem } from '../core/problems.js';
import { isDataError } from '../store/data-errors.js';
import type { TrustChecker } from '../crypto/trust.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';
import type { AcceptContext, AcceptRequest } from '../dossiers/accept.js';
import type { FileLinkSigner } from '../files/signed-url.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Partner } from '../partners/registry.js';
import { checkBodySignature, type SignatureChecks } from '../plugins/signatures.js';
import type { Db } from '../store/db.js';
import type { PartnerRegistry } from '../partners/registry.js';
import { readCatalogue } from './catalogues.js';
import { arrayElementBytes } from './item-bytes.js';
import { lookUpDossier } from './lookup.js';
import { PROTOCOL_CODE, ProtocolRefusal, ok, type ProtocolAnswer } from './protocol.js';
import { PortalSessions } from './sessions.js';
import { syncDossiers, syncProgress, type SchemaCheck, type SyncContext } from './sync.js';

export interface PortalCompatibleOptions {
  db: Db;
  registry: PartnerRegistry;
  accept: AcceptContext;
  queue: Enqueuer;
  redis: Redis | undefined;
  redisPrefix: string;
  sessionTtlSeconds: number;
  fileLinks: FileLinkSigner;
  trust: TrustChecker;
  metrics?: GatewayMetrics;
  /** Refused writes are recorded (metadata only, sampled) as on every other route. */
  refusals: RefusalLog;
}

const WRITE_SERVICES = new Set(['DongBoHoSoMC', 'CapNhatTienDoHoSoMC']);
const CATALOGUES = new Set<string>(PORTAL_CATALOGUE_SERVICES);
/** Why madonvi is required: the gateway cannot route a dossier without its agency. */
const AGENCY_NEEDED = 'mã đơn vị xác định cơ quan của hồ sơ và tài khoản gửi lên Cổng DVCQG';
/** The portal's batches are small; a bigger call is refused rather than held in one long transaction. */
const MAX_ITEMS = 100;

const Answer = Type.Object(
  {
    error_code: Type.Integer({ description: '0 success; see docs/portal-compatible.md for the others' }),
    message: Type.String(),
    session: Type.Optional(Type.String()),
    result: Type.Optional(Type.Array(Type.Unknown())),
  },
  { additionalProperties: true },
);

const LoginBody = Type.Object({ username: Type.String(), password: Type.String() });

const ProtocolBody = Type.Object(
  {
    session: Type.String(),
    madonvi: Type.String(),
    service: Type.String(),
    isUpdating: Type.Optional(
      Type.Union([Type.String(), Type.Boolean(), Type.Integer()], { description: '"True" updates, "False" creates (DongBoHoSoMC); "true"/"false", 1/0 and JSON booleans too' }),
    ),
    data: Type.Optional(Type.Array(Type.Unknown(), { description: 'DongBoHoSoMC / CapNhatTienDoHoSoMC items, exactly as for the portal' })),
    MaHoSo: Type.Optional(Type.String({ description: 'TraCuuHoSo (OpenCPS sends it as mahoso)' })),
    mahoso: Type.Optional(Type.String()),
    maTTHC: Type.Optional(Type.String({ description: 'LayThuTuc' })),
  },
  { additionalProperties: true },
);
type ProtocolBody = { session: string; madonvi: string; service: string; isUpdating?: unknown; data?: unknown[]; MaHoSo?: string; mahoso?: string; maTTHC?: string };

const portalCompatibleRoutes: FastifyPluginAsyncTypebox<PortalCompatibleOptions> = async (app, opts) => {
  const { db, registry, accept, queue } = opts;
  const sessions = opts.redis ? new PortalSessions(opts.redis, opts.redisPrefix, opts.sessionTtlSeconds) : undefined;
  const signatureChecks: SignatureChecks = { catalog: new CertificateCatalog(db), trust: opts.trust, registry: registry, ...(opts.metrics ? { metrics: opts.metrics } : {}) };
  const attachments = { attachmentUrl: (ref: { fileId?: string; url?: string }) => (ref.fileId ? opts.fileLinks.url(ref.fileId) : ref.url) };

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const refusal = asRefusal(error);
    if (refusal.errorCode === PROTOCOL_CODE.internal && !(error instanceof ProtocolRefusal)) request.log.error({ err: error }, 'portal-compatible request failed');
    return send(reply, refusal.answer());
  });
  app.setNotFoundHandler(async (_request, reply) => send(reply, { status: 404, body: { error_code: 404, message: 'Không tìm thấy' } }));

  app.post(
    '/login',
    {
      schema: {
        tags: ['portal-compatible'],
        summary: 'Log in as the national portal does: dstcode header, partner id and API key',
        headers: Type.Object({ dstcode: Type.Optional(Type.String()) }),
        body: LoginBody,
        response: { 200: Answer, '4xx': Answer, '5xx': Answer },
      },
    },
    async (request, reply) => {
      const dstcode = request.headers.dstcode;
      if (typeof dstcode !== 'string' || dstcode.trim() === '') throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Thiếu header dstcode');
      const { username, password } = request.body;
      const partner = registry.authenticate(password);
      if (!partner || partner.id !== username || !writesDossiers(partner)) throw new ProtocolRefusal(PROTOCOL_CODE.badLogin, 'Sai tên đăng nhập hoặc mật khẩu');
      const session = await requireSessions().open(partner.id);
      return send(reply, ok('Đăng nhập thành công', { session }));
    },
  );

  // The portal's integration and sharing endpoints. Both answer every service: some one-stop
  // systems call their look-ups on the integration path.
  for (const path of ['/integration', '/sharing']) {
    app.post(
      path,
      {
        schema: {
          tags: ['portal-compatible'],
          summary: `The portal's ${path.slice(1)} endpoint: DongBoHoSoMC, CapNhatTienDoHoSoMC, TraCuuHoSo, LayThuTuc, LayDanhSachTTHC, LayDanhMucCoQuan, LayDanhMucLinhVuc`,
          headers: Type.Object({ 'x-sync-lane': Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('bulk')])) }),
          body: ProtocolBody,
          response: { 200: Answer, '4xx': Answer, '5xx': Answer },
        },
      },
      async (request, reply) => send(reply, await protocolCall(request, request.body as ProtocolBody)),
    );
  }

  async function protocolCall(request: FastifyRequest, body: ProtocolBody): Promise<ProtocolAnswer> {
    const endpoint = `POST ${request.routeOptions.url} ${body.service}`;
    let partner: Partner | undefined;
    try {
      partner = await sessionPartner(body.session);
      if (body.madonvi.trim() === '') throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, `Thiếu madonvi: ${AGENCY_NEEDED}`);
      if (WRITE_SERVICES.has(body.service)) {
        await signed(request, partner);
        return await write(request, partner, body, endpoint);
      }
      if (body.service === 'TraCuuHoSo') {
        const code = body.MaHoSo ?? body.mahoso;
        if (!code) throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Thiếu MaHoSo');
        return ok('Thành công', { result: await lookUpDossier(db, registry, partner, code, attachments) });
      }
      if (CATALOGUES.has(body.service)) return await catalogue(body.service as PortalCatalogueService, body);
      throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Dịch vụ không được hỗ trợ');
    } catch (error) {
      const refusal = asRefusal(error);
      // Like refused /v1 writes: the message log keeps the refusal's metadata, never the body.
      if (WRITE_SERVICES.has(body.service) && refusal.status < 500) {
        await opts.refusals.recordOrWarn(
          { source: refusalSource(partner?.id, request.ip), partnerId: partner?.id, endpoint, dossierCode: refusal.dossierCode, errorCode: `portal-compatible:${refusal.errorCode}` },
          request.log,
        );
      }
      throw refusal;
    }
  }

  async function write(request: FastifyRequest, partner: Partner, body: ProtocolBody, endpoint: string): Promise<ProtocolAnswer> {
    const dossiers = body.service === 'DongBoHoSoMC';
    const isUpdating = body.isUpdating === undefined ? undefined : readPortalBoolean(body.isUpdating);
    if (body.isUpdating !== undefined && isUpdating === undefined) {
      throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'isUpdating phải là "True" hoặc "False"');
    }
    if (dossiers && isUpdating === undefined) throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Thiếu isUpdating: cần biết tạo mới ("False") hay cập nhật ("True") hồ sơ');
    const data = body.data;
    if (!data || data.length === 0) throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'data phải là danh sách hồ sơ');
    if (data.length > MAX_ITEMS) throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, `Mỗi lần gọi tối đa ${MAX_ITEMS} hồ sơ`);
    if (!registry.actsFor(partner, body.madonvi)) {
      throw new ProtocolRefusal(PROTOCOL_CODE.forbiddenAgency, `Không có quyền gửi hồ sơ của đơn vị ${body.madonvi}`);
    }
    const name = (await readCatalogue(db, 'LayDanhMucCoQuan', body.madonvi))?.items[0]?.TENDONVI;
    const ctx: SyncContext = { db, registry, accept, checkDossier: schemaCheck(request, Dossier), checkEvent: schemaCheck(request, DossierEvent) };
    const call = {
      request: acceptRequest(request, partner, endpoint),
      agencyCode: body.madonvi,
      agencyName: typeof name === 'string' && name !== '' ? name : undefined,
      data,
      itemBodies: itemBodies(request, data.length),
    };
    const accepted = dossiers ? await syncDossiers(ctx, call, isUpdating === true) : await syncProgress(ctx, call);
    await enqueueAfterCommit(queue, accepted.flatMap((a) => a.enqueue), request.log);
    return ok('Đồng bộ thành công');
  }

  async function catalogue(service: PortalCatalogueService, body: ProtocolBody): Promise<ProtocolAnswer> {
    const code = service === 'LayThuTuc' ? (body.maTTHC ?? (body as { MaTTHC?: unknown }).MaTTHC) : undefined;
    if (service === 'LayThuTuc' && (typeof code !== 'string' || code === '')) throw new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Thiếu maTTHC');
    const cached = await readCatalogue(db, service, code as string | undefined);
    if (!cached) throw new ProtocolRefusal(PROTOCOL_CODE.cataloguesNotReady, 'Danh mục chưa được đồng bộ từ Cổng DVCQG, thử lại sau', 503);
    return ok('Thành công', { result: cached.items });
  }

  async function sessionPartner(session: string): Promise<Partner> {
    const id = await requireSessions().partnerOf(session);
    const partner = id === undefined ? undefined : registry.get(id);
    // A partner removed from the registry, or no longer allowed to write, loses its sessions too.
    if (!partner || !writesDossiers(partner)) throw new ProtocolRefusal(PROTOCOL_CODE.session, 'Session không hợp lệ hoặc đã hết hạn');
    return partner;
  }

  async function signed(request: FastifyRequest, partner: Partner): Promise<void> {
    try {
      await checkBodySignature(request, partner, signatureChecks);
    } catch (error) {
      if (error instanceof Problem) throw new ProtocolRefusal(PROTOCOL_CODE.notSigned, `Chữ ký số không hợp lệ: ${error.detail ?? error.title}`);
      throw error;
    }
  }

  function requireSessions(): PortalSessions {
    if (!sessions) throw new ProtocolRefusal(PROTOCOL_CODE.internal, 'Lỗi hệ thống: phiên làm việc không khả dụng', 503);
    return sessions;
  }
};

function writesDossiers(partner: Partner): boolean {
  return partner.roles.has('one-stop') || partner.roles.has('agency-system');
}

function acceptRequest(request: FastifyRequest, partner: Partner, endpoint: string): AcceptRequest {
  return {
    partner,
    endpoint,
    rawBodySha256: request.rawBodySha256!,
    rawBody: request.rawBody!,
    traceparent: request.traceparent,
    signature: request.signature,
    idempotencyKey: undefined,
    lane: request.headers['x-sync-lane'] === 'bulk' ? 'bulk' : 'live',
    statusMayChangeByUpdate: true,
  };
}

/**
 * Each item's own bytes, so that no log record mixes two citizens' dossiers; a signed call keeps
 * the whole call in every item's record instead, because that is what the signature covers and an
 * auditor must be able to check it (docs/portal-compatible.md).
 */
function itemBodies(request: FastifyRequest, count: number): Buffer[] {
  if (request.signature) return [];
  const items = arrayElementBytes(request.rawBody!, 'data');
  return items?.length === count ? items : [];
}

function schemaCheck(request: FastifyRequest, schema: TSchema): SchemaCheck {
  const validate = request.compileValidationSchema(schema);
  return (value) => {
    if (validate(value)) return undefined;
    const first = validate.errors?.[0];
    return { path: first?.instancePath ?? '', message: first?.message ?? 'không hợp lệ' };
  };
}

/** Any failure, in the protocol's terms. */
function asRefusal(failure: unknown): ProtocolRefusal {
  if (failure instanceof ProtocolRefusal) return failure;
  const unavailable = () => new ProtocolRefusal(PROTOCOL_CODE.unavailable, 'Hệ thống tạm thời không khả dụng, thử lại sau', 503);
  if (isConnectionError(failure)) return unavailable();
  const error = isDataError(failure) ? new Problem('unstorable-value') : failure;
  const e = error as FastifyError & { code?: string };
  if (error instanceof Problem) {
    if (error.code === 'unavailable') return unavailable();
    if (error.status === 429 || error.status === 503) return new ProtocolRefusal(error.status, 'Hệ thống đang quá tải, thử lại sau', error.status);
    if (error.status === 413) return new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Yêu cầu quá lớn', 413);
    if (error.status < 500) return new ProtocolRefusal(PROTOCOL_CODE.badRequest, `Yêu cầu không hợp lệ (${error.code})`, 400);
  }
  if (e.validation) return new ProtocolRefusal(PROTOCOL_CODE.badRequest, `Yêu cầu không hợp lệ: ${e.validation[0]?.instancePath || e.validationContext || ''} ${e.validation[0]?.message ?? ''}`.trim(), 200);
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Yêu cầu quá lớn', 413);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ProtocolRefusal(PROTOCOL_CODE.badRequest, 'Yêu cầu không hợp lệ', e.statusCode);
  return new ProtocolRefusal(PROTOCOL_CODE.internal, 'Lỗi hệ thống', 500);
}

function send(reply: FastifyReply, answer: ProtocolAnswer): FastifyReply {
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
}

export default portalCompatibleRoutes;
