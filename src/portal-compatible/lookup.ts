// TraCuuHoSo on the portal-compatible endpoint: the dossier as the gateway holds it, in the portal's
// item shape, plus how far its sync to the portal got. The portal's verdict comes after the gateway
// has answered the sync, so this is where a later refusal is read (docs/portal-compatible.md).
import { toDossierItem, type TranslateContext } from '../../adapters/national-portal/index.js';
import type { Dossier } from '../../schemas/dossier.js';
import { NATIONAL_PORTAL } from '../delivery/destination-names.js';
import { deliveryView, type DeliveryView } from '../dossiers/delivery-view.js';
import { mayActOn, partiesOf } from '../partners/ownership.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Queryable } from '../store/db.js';
import { messagesOfDossier } from '../store/messages.js';

/** TrangThaiDongBo: where the dossier's messages to the portal stand, worst first. */
export const SYNC_STATE = { refused: '-1', sending: '0', delivered: '1' } as const;

const PORTAL_SERVICE: Record<string, string> = {
  'dossier-create': 'DongBoHoSoMC',
  'dossier-update': 'DongBoHoSoMC',
  'dossier-event': 'CapNhatTienDoHoSoMC',
};

/** The matching dossiers: none when the gateway has no such dossier among the partner's agencies, as the portal answers an unknown code. */
export async function lookUpDossier(db: Queryable, registry: PartnerRegistry, partner: Partner, code: string, attachments: TranslateContext): Promise<Record<string, unknown>[]> {
  const [row] = await db.query<{ body: Dossier }>('SELECT body FROM dossiers WHERE code = $1', [code]);
  if (!row || mayActOn(registry, partner, 'read', await partiesOf(db, code)) !== 'allowed') return [];
  const deliveries = (await messagesOfDossier(db, NATIONAL_PORTAL, code)).map(deliveryView);
  return [{ ...toDossierItem(row.body, attachments), ...syncState(deliveries) }];
}

function syncState(deliveries: DeliveryView[]): Record<string, unknown> {
  const dead = deliveries.filter((d) => d.state === 'dead').at(-1);
  const open = deliveries.filter((d) => d.state === 'pending' || d.state === 'failed' || d.state === 'held').at(-1);
  const [state, message] = dead ? [SYNC_STATE.refused, dead.lastError] : open ? [SYNC_STATE.sending, open.lastError] : [SYNC_STATE.delivered, null];
  return {
    TrangThaiDongBo: state,
    ThongBaoDongBo: message ?? '',
    DanhSachDongBo: deliveries.map((d) => ({
      MaThongDiep: d.messageId,
      DichVu: PORTAL_SERVICE[d.kind] ?? d.kind,
      TrangThai: d.state,
      SoLanGui: String(d.attempts),
      ThongBao: d.lastError ?? '',
    })),
  };
}
