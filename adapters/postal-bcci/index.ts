// The VNPost adapter (bưu chính công ích): translation, status table, client, delivery destination and the simulator.
export * from './wire.js';
export { eventTimeToRfc3339, toEventTime } from './dates.js';
export { VNPOST_STATUSES, canonicalStatus, vnpostStatus, type VnpostStatus } from './statuses.js';
export {
  toVnpostOrder,
  fromVnpostEvent,
  addressText,
  FLAG_CONFIG,
  DESCRIPTION_PREFIX,
  type OrderContext,
} from './translate.js';
export {
  VnpostClient,
  SUCCESS_STATUSES,
  type VnpostClientOptions,
} from './client.js';
export {
  startPostalSimulator,
  type PostalSimulator,
  type PostalSimulatorOptions,
  type PostalSimulatorFaults,
  type SimulatedOrder,
  type SimulatorCall,
  type SimulatorPush,
} from './simulator.js';
export { PostalDestination } from './destination.js';
export { VnpostPushBody, readVnpostPush, type PushReading } from './push-schema.js';
