// The payments wing's reads that its routes need, so that the routes run no SQL.
import type { Partner } from '../partners/registry.js';
import type { Queryable } from '../store/db.js';
import type { PaymentRow } from './requests.js';

/** A dossier's payments that the partner may see: its own, or every one for an admin. */
export function paymentsOfDossier(q: Queryable, partner: Partner, dossierCode: string): Promise<PaymentRow[]> {
  return q.query<PaymentRow>(`SELECT * FROM payments WHERE dossier_code = $1 AND (partner_id = $2 OR $3) ORDER BY created_at`, [dossierCode, partner.id, partner.roles.has('admin')]);
}
