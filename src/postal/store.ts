// The shipment rows' order side, kept as the operator's delivery destination learns the operator's
// answers (adapters/postal-bcci/destination.ts reaches it through the ShipmentOrders port), and which
// shipments are still open for the poller.
import type { Queryable } from '../store/db.js';
import type { ShipmentOrders } from './operator.js';
import type { ShipmentRow } from './shipments.js';

export function shipmentOrders(db: Queryable): ShipmentOrders {
  return {
    async find(shipmentId) {
      const [row] = await db.query<ShipmentRow>('SELECT * FROM shipments WHERE id = $1', [shipmentId]);
      return row && { orderNumber: row.order_number, orderState: row.order_state, itemCode: row.item_code ?? undefined, request: row.request };
    },
    async keepItemCode(shipmentId, itemCode) {
      await db.query('UPDATE shipments SET item_code = $2 WHERE id = $1 AND item_code IS NULL', [shipmentId, itemCode]);
    },
    async created(shipmentId, itemCode) {
      await db.query(`UPDATE shipments SET order_state = 'created', item_code = COALESCE($2, item_code), updated_at = now() WHERE id = $1`, [shipmentId, itemCode ?? null]);
    },
    async refused(shipmentId, error) {
      await db.query(`UPDATE shipments SET order_state = 'refused', order_error = $2, updated_at = now() WHERE id = $1`, [shipmentId, error]);
    },
    async cancelled(shipmentId) {
      await db.query(`UPDATE shipments SET order_state = 'cancelled', status = 'cancelled', updated_at = now() WHERE id = $1`, [shipmentId]);
    },
  };
}

/** Shipments the operator still has news of: ordered, and neither delivered, returned nor cancelled; longest unheard first. */
export function openShipments(db: Queryable): Promise<{ id: string; order_number: string }[]> {
  return db.query<{ id: string; order_number: string }>(
    `SELECT id, order_number FROM shipments
      WHERE order_state = 'created' AND status IS DISTINCT FROM 'delivered' AND status IS DISTINCT FROM 'returned' AND status IS DISTINCT FROM 'cancelled'
      ORDER BY updated_at LIMIT 5000`,
  );
}
