// The payment providers this gateway talks to: those configured, or in development their simulators,
// which notify this gateway's own notification route as the real providers would.
import type { Logger } from 'pino';
import { NationalPaymentProvider, startNationalPaymentSimulator } from '../../adapters/payment/national/index.js';
import { VnpayProvider, startVnpaySimulator } from '../../adapters/payment/vnpay/index.js';
import type { Config } from '../config/config.js';
import type { OutboundSigner } from '../crypto/outbound-signer.js';
import type { PaymentProvider } from './provider.js';

// Development credentials of the simulators only; real ones come from the configuration.
const DEV_NATIONAL = { partnerCode: 'LGSPDEV', secret: 'lgsp-dev-payment-secret', token: 'lgsp-dev-payment-token' };
const DEV_VNPAY = { tmnCode: 'LGSPDEV1', hashSecret: 'LGSPDEVHASHSECRET0123456789ABCDEF' };

export interface PaymentProviders {
  providers: Map<string, PaymentProvider>;
  close(): Promise<void>;
}

export async function setUpPayments(config: Config, outbound: OutboundSigner, logger: Logger): Promise<PaymentProviders> {
  const providers = new Map<string, PaymentProvider>();
  const closers: (() => Promise<unknown>)[] = [];
  const { national, vnpay } = config.payments;
  const simulate = config.mode === 'development' && config.roles.has('simulators');
  const notifyUrl = (id: string) => `http://127.0.0.1:${config.port}/v1/payments/notifications/${id}`;

  if (national.url) {
    providers.set('national', new NationalPaymentProvider({ baseUrl: national.url, partnerCode: national.partnerCode!, secret: national.secret!, token: national.token ?? '', sign: (b) => outbound.jws(b) }));
  } else if (simulate) {
    const sim = await startNationalPaymentSimulator({ ...DEV_NATIONAL, notifyUrl: notifyUrl('national') });
    closers.push(() => sim.close());
    providers.set('national', new NationalPaymentProvider({ baseUrl: sim.url, ...DEV_NATIONAL, sign: (b) => outbound.jws(b) }));
    logger.info({ url: sim.url }, 'national payment platform simulator listening');
  }
  if (vnpay.payUrl) {
    providers.set('vnpay', new VnpayProvider({ payUrl: vnpay.payUrl, apiUrl: vnpay.apiUrl!, tmnCode: vnpay.tmnCode!, hashSecret: vnpay.hashSecret!, ...(vnpay.statementUrl ? { statementUrl: vnpay.statementUrl } : {}) }));
  } else if (simulate) {
    const sim = await startVnpaySimulator({ ...DEV_VNPAY, ipnUrl: notifyUrl('vnpay') });
    closers.push(() => sim.close());
    providers.set('vnpay', new VnpayProvider({ payUrl: sim.payUrl, apiUrl: sim.apiUrl, statementUrl: sim.statementUrl, ...DEV_VNPAY }));
    logger.info({ url: sim.payUrl }, 'VNPay simulator listening');
  }
  return {
    providers,
    async close() {
      for (const provider of providers.values()) await provider.close();
      for (const close of closers) await close();
    },
  };
}
