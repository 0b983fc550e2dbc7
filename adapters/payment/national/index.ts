// The national public service portal's payment platform: MaXacThuc, transport, PaymentProvider and the simulator.
export * from './wire.js';
export { AUTH_FIELDS, authCode, authFieldValues, signMessage, verifyAuthCode, type AuthMessage } from './auth-code.js';
export { fromTransactionTime, toStatementDay, toTransactionTime } from './dates.js';
export { NationalPaymentClient, type NationalPaymentClientOptions, type NationalPaymentCredentials, type PlatformReply } from './client.js';
export { NationalPaymentProvider, NOTIFICATION_ANSWERS, type NationalPaymentOptions } from './provider.js';
export {
  startNationalPaymentSimulator,
  type NationalPaymentSimulator,
  type NationalPaymentSimulatorOptions,
  type NationalPaymentSimulatorFaults,
  type SimulatedPayment,
  type SimulatedNotification,
  type SimulatorCall,
} from './simulator.js';
export { PERSONAL_WIRE_FIELDS } from './personal-fields.js';
