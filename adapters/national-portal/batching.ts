// Which portal call carries a gateway message, and which messages may share one call. The gateway's
// message kinds are dossier-create, dossier-update and dossier-event; only this adapter knows the
// portal's service names for them.
import type { PortalService } from './wire.js';

export interface PortalCall {
  service: PortalService;
  /** DongBoHoSoMC: false creates, true updates; not sent with progress. */
  isUpdating: boolean | undefined;
}

export function portalCallOf(kind: string): PortalCall {
  return kind === 'dossier-event' ? { service: 'CapNhatTienDoHoSoMC', isUpdating: undefined } : { service: 'DongBoHoSoMC', isUpdating: kind === 'dossier-update' };
}

/** Messages with the same key go in one call: same service, same isUpdating, same portal account. */
export function portalBatchKey(kind: string, accountKey: string): string {
  const { service, isUpdating } = portalCallOf(kind);
  const updating = isUpdating === undefined ? '' : isUpdating ? 'True' : 'False';
  return `${service}|${updating}|${accountKey}`;
}
