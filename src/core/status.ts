// The dossier status machine. The table is documented in docs/status-machine.md; keep both in step.
// The portal's wire codes for these statuses belong to its adapter (adapters/national-portal/status-codes.ts).
import type { DossierStatus } from '../../schemas/dossier.js';

/** Allowed next statuses. A status absent from its own list cannot repeat. Terminal statuses map to []. */
export const TRANSITIONS: Record<DossierStatus, readonly DossierStatus[]> = {
  NEW: ['RECEIVED', 'REJECTED', 'SUPPLEMENT_REQUESTED', 'WITHDRAWN'],
  RECEIVED: ['PROCESSING', 'SUPPLEMENT_REQUESTED', 'PAYMENT_REQUESTED', 'SUSPENDED', 'COMPLETED', 'WITHDRAWN'],
  PROCESSING: ['PROCESSING', 'SUPPLEMENT_REQUESTED', 'PAYMENT_REQUESTED', 'SUSPENDED', 'COMPLETED', 'WITHDRAWN'],
  SUPPLEMENT_REQUESTED: ['SUPPLEMENT_REQUESTED', 'RECEIVED', 'PROCESSING', 'REJECTED', 'SUSPENDED', 'WITHDRAWN'],
  PAYMENT_REQUESTED: ['PAYMENT_REQUESTED', 'PROCESSING', 'COMPLETED', 'SUSPENDED', 'WITHDRAWN'],
  SUSPENDED: ['SUSPENDED', 'PROCESSING', 'WITHDRAWN'],
  COMPLETED: ['RETURNED'],
  RETURNED: [],
  REJECTED: [],
  WITHDRAWN: [],
};

export function isTerminal(status: DossierStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: DossierStatus, to: DossierStatus): boolean {
  return TRANSITIONS[from].includes(to);
}
