// The VNPay adapter: a bank/e-wallet gateway behind the PaymentProvider interface, and its simulator.
export { VnpayProvider, orderInfo, type VnpayProviderOptions } from './provider.js';
export { VnpayClient, type VnpayClientOptions, type QueryDrRequest, type QueryDrAnswer, type StatementText } from './client.js';
export { secureHash, verify, hashData, pipeHash, verifyPipe, vnpEncode, type VnpParams } from './secure-hash.js';
export { toVnpDate, fromVnpDate, toVnpDay } from './dates.js';
export * from './wire.js';
export {
  startVnpaySimulator,
  type VnpaySimulator,
  type VnpaySimulatorOptions,
  type VnpaySimulatorFaults,
  type SimulatedPayment,
  type SimulatorIpn,
} from './simulator.js';
