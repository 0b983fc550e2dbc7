// The national portal adapter (Cổng DVCQG): translate, client, batch delivery and the simulator.
export * from './wire.js';
export { toPortalDate, parsePortalDate } from './dates.js';
export { NATIONAL_STATUS_CODE, STATUS_BY_NATIONAL_CODE } from './status-codes.js';
export { toDossierItem, toProgressItem, SUBMITTED_ON_NATIONAL_PORTAL, type TranslateContext } from './translate.js';
export {
  NationalPortalClient,
  DEFAULT_DSTCODE,
  sanitizePortalMessage,
  foldText,
  type PortalAccount,
  type PortalAnswer,
  type PortalSendBody,
  type NationalPortalClientOptions,
} from './client.js';
export { deliverBatch, isRetryableRefusal, type BatchItem } from './deliver.js';
export {
  startNationalPortalSimulator,
  type PortalSimulator,
  type SimulatorOptions,
  type SimulatorFaults,
  type SimulatorCall,
} from './simulator.js';
export { NationalPortalDestination } from './destination.js';
export { portalBatchKey, portalCallOf, type PortalCall } from './batching.js';
export { fromDossierItem, fromProgressItem, readPortalBoolean, WireFieldError, type FromWireContext, type ProgressStep } from './from-wire.js';
export { PERSONAL_WIRE_FIELDS } from './personal-fields.js';
