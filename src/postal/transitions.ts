// How a shipment's canonical status may move (docs/postal.md has the same table, checked by a test).
// A report that the table does not allow is either behind the shipment (stale: acknowledged and kept
// in the trail) or against it (contradicting: kept and flagged for an operator).
import type { ShipmentStatus } from '../../schemas/shipment.js';

export const SHIPMENT_TRANSITIONS: Record<ShipmentStatus | 'none', readonly ShipmentStatus[]> = {
  none: ['registered', 'collecting', 'picked_up', 'in_transit', 'delivered', 'failed', 'cancelled'],
  registered: ['collecting', 'picked_up', 'in_transit', 'delivered', 'failed', 'cancelled'],
  collecting: ['picked_up', 'failed', 'cancelled'],
  picked_up: ['in_transit', 'delivered', 'failed'],
  in_transit: ['delivered', 'failed', 'returned'],
  failed: ['in_transit', 'delivered', 'returned'],
  delivered: [],
  returned: [],
  cancelled: [],
};

/** How far along a status is; a report further back than the shipment is stale. */
const PROGRESS: Record<ShipmentStatus, number> = {
  registered: 0,
  collecting: 1,
  picked_up: 2,
  in_transit: 3,
  failed: 5,
  delivered: 5,
  returned: 5,
  cancelled: 5,
};

export type Disposition = 'applied' | 'stale' | 'contradicting';

export function dispositionOf(current: ShipmentStatus | null, reported: ShipmentStatus): Disposition {
  if (SHIPMENT_TRANSITIONS[current ?? 'none'].includes(reported)) return 'applied';
  if (current !== null && (reported === current || PROGRESS[reported] < PROGRESS[current])) return 'stale';
  return 'contradicting';
}

export const TERMINAL_STATUSES: readonly ShipmentStatus[] = ['delivered', 'returned', 'cancelled'];
