// The payment providers this gateway talks to: those configured, or in development their simulators,
// which notify this gateway's own notification route as the real providers would.
import { NationalPaymentProvider, startNationalPaymentSimulator } from '../../adapters/payment/national/index.js';
import { VnpayProvider, startVnpaySimulator } from '../../adapters/payment/vnpay/index.js';
import type { Core } from '../compose/core.js';
import { devSecret } from '../config/dev-secrets.js';
import type { PaymentProvider } from './provider.js';

// Development credentials of the simulators only, secrets random per DATA_DIR; real ones come from the configuration.
const devNational = async (dataDir: string) => ({
  partnerCode: 'LGSPDEV',
  secret: await devSecret(dataDir, 'dev-payment-national-secret'),
  token: await devSecret(dataDir, 'dev-payment-national-token'),
});
const devVnpay = async (dataDir: string) => ({ tmnCode: 'LGSPDEV1', hashSecret: await devSecret(dataDir, 'dev-payment-vnpay-hash-secret') });

export interface PaymentProviders {
  providers: Map<string, PaymentProvider>;
  close(): Promise<void>;
}

export async function setUp({ config, outbound, logger }: Pick<Core, 'config' | 'outbound' | 'logger'>): Promise<PaymentProviders> {
  const providers = new Map<string, PaymentProvider>();
  const closers: (() => Promise<unknown>)[] = [];
  const { national, vnpay } = config.payments;
  const simulate = config.mode === 'development' && config.roles.has('simulators');
  const notifyUrl = (id: string) => `http://127.0.0.1:${config.port}/v1/payments/notifications/${id}`;

  if (national.url) {
    providers.set('national', new NationalPaymentProvider({ baseUrl: national.url, partnerCode: national.partnerCode!, secret: national.secret!, token: national.token ?? '', sign: (b) => outbound.jws(b) }));
  } else if (simulate) {
    const dev = await devNational(config.dataDir);
    const sim = await startNationalPaymentSimulator({ ...dev, notifyUrl: notifyUrl('national') });
    closers.push(() => sim.close());
    providers.set('national', new NationalPaymentProvider({ baseUrl: sim.url, ...dev, sign: (b) => outbound.jws(b) }));
    logger.info({ url: sim.url }, 'national payment platform simulator listening');
  }
  if (vnpay.payUrl) {
    providers.set('vnpay', new VnpayProvider({ payUrl: vnpay.payUrl, apiUrl: vnpay.apiUrl!, tmnCode: vnpay.tmnCode!, hashSecret: vnpay.hashSecret!, ...(vnpay.statementUrl ? { statementUrl: vnpay.statementUrl } : {}) }));
  } else if (simulate) {
    const dev = await devVnpay(config.dataDir);
    const sim = await startVnpaySimulator({ ...dev, ipnUrl: notifyUrl('vnpay') });
    closers.push(() => sim.close());
    providers.set('vnpay', new VnpayProvider({ payUrl: sim.payUrl, apiUrl: sim.apiUrl, statementUrl: sim.statementUrl, ...dev }));
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
