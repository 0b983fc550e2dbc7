// Which postal operator the gateway talks to: the configured one, or in development the simulator,
// which then pushes its reports to this gateway's own callback, signed with the development postal
// operator's key, as a real operator would; and the delivery destination that orders shipments from it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PostalDestination, startPostalSimulator, VnpostClient, type PostalSimulator } from '../../adapters/postal-bcci/index.js';
import type { Core } from '../compose/core.js';
import type { Config } from '../config/config.js';
import { devSecret } from '../config/dev-secrets.js';
import { loadPemSigner } from '../crypto/file-signer.js';
import { signDetachedJws } from '../crypto/jws.js';
import type { Destination } from '../delivery/destination.js';
import type { PostalOperator } from './operator.js';
import { shipmentOrders } from './store.js';

/** The development simulator's OAuth2 client: a secret random per DATA_DIR, never a constant. */
const devConsumer = async (dataDir: string) => ({ key: 'lgsp-dev', secret: await devSecret(dataDir, 'dev-postal-consumer-secret') });

/** What the postal road takes from the core. */
export type PostalCore = Pick<Core, 'config' | 'db' | 'outbound' | 'logger'> & { signing: Pick<Core['signing'], 'devPkiDir'> };

export interface PostalSetup {
  operator: PostalOperator;
  destination: Destination;
  simulator: PostalSimulator | undefined;
  /** Closes the operator's client, then the simulator. */
  close(): Promise<void>;
}

export async function setUp({ config, db, outbound, logger, signing: { devPkiDir } }: PostalCore): Promise<PostalSetup | undefined> {
  const { postal } = config;
  let simulator: PostalSimulator | undefined;
  let endpoints = postal.url ? { baseUrl: postal.url, tokenUrl: postal.tokenUrl!, consumerKey: postal.consumerKey!, consumerSecret: postal.consumerSecret! } : undefined;
  if (!endpoints && config.mode === 'development' && config.roles.has('simulators') && devPkiDir) {
    const consumer = await devConsumer(config.dataDir);
    simulator = await startPostalSimulator({
      consumers: [consumer],
      customerCode: postal.customerCode,
      variant: postal.variant,
      stepMs: postal.simulatorStepMs,
      push: await devPush(config, devPkiDir),
    });
    endpoints = { baseUrl: simulator.url, tokenUrl: simulator.tokenUrl, consumerKey: consumer.key, consumerSecret: consumer.secret };
    logger.info({ url: simulator.url }, 'postal simulator listening');
  }
  if (!endpoints) return undefined;
  let next = 0;
  // S10-shaped codes (EL + 8 digits + check digit + VN). A real deployment draws from the range its
  // operator allocated; that range is not configurable yet, so the lgsp variant is for the simulator.
  const allocateItemCode = postal.variant === 'lgsp' ? () => `EL${String((Date.now() * 100 + next++) % 1e8).padStart(8, '0')}0VN` : undefined;
  const operator = new VnpostClient({
    ...endpoints,
    customerCode: postal.customerCode,
    variant: postal.variant,
    sign: (body) => outbound.jws(body),
    ...(allocateItemCode ? { itemCodes: allocateItemCode } : {}),
  });
  return {
    operator,
    destination: new PostalDestination(shipmentOrders(db), operator, outbound, allocateItemCode),
    simulator,
    async close() {
      await operator.close();
      await simulator?.close();
    },
  };
}

/** The development postal operator pushes to this gateway with its own API key and certificate. */
async function devPush(config: Config, devPkiDir: string): Promise<{ url: string; sign: (body: Buffer) => string; headers: Record<string, string> } | undefined> {
  try {
    const credentials = JSON.parse(await readFile(path.join(config.dataDir, 'dev-credentials.json'), 'utf8')) as Record<string, { apiKey: string }>;
    const apiKey = credentials['postal-operator']?.apiKey;
    if (!apiKey) return undefined;
    const signer = await loadPemSigner({
      certificateFile: path.join(devPkiDir, 'partners', 'dev-postal-operator.cert.pem'),
      keyFile: path.join(devPkiDir, 'partners', 'dev-postal-operator.key.pem'),
    });
    return { url: `http://127.0.0.1:${config.port}/v1/postal/callbacks`, sign: (body) => signDetachedJws(body, signer), headers: { 'x-api-key': apiKey } };
  } catch {
    return undefined; // a registry the developer wrote by hand: no pushes, polling still works
  }
}
