// A receiving system's edXML endpoint, for development and tests: a real HTTP server that takes pushed
// packages as they stream, verifies the gateway's signature against a trust store, checks each
// attachment against the signed manifest, and keeps what it read. It can be told to fail a number
// of deliveries (HTTP 503) to exercise retries.
import type { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TrustChecker } from '../../src/crypto/trust.js';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import type { Envelope } from './model.js';
import { checkAttachments, verifyEnvelope } from './signature.js';
import { splitPackage, type ReceivedAttachment } from './split.js';
import { simulatorFaults } from '../shared/simulator-faults.js';

export interface ReceivedByEndpoint {
  envelope: Envelope;
  attachments: ReceivedAttachment[];
  signer: X509Certificate;
  messageId: string | undefined;
}

export interface EdxmlReceiver {
  url: string;
  received: ReceivedByEndpoint[];
  /** Refusals this endpoint answered (bad signature, changed attachment, malformed package). */
  refused: string[];
  /** Answer 503 to the next `n` deliveries. */
  failNext(n: number): void;
  /** Resolves once `count` packages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedByEndpoint[]>;
  close(): Promise<void>;
}

export interface EdxmlReceiverOptions {
  trust: TrustChecker;
  /** Only packages signed by this certificate (the gateway's) are taken. */
  gatewayFingerprint?: string;
  host?: string;
  port?: number;
  maxPackageBytes?: number;
}

export async function startEdxmlReceiver(options: EdxmlReceiverOptions): Promise<EdxmlReceiver> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edxml-receiver-'));
  const received: ReceivedByEndpoint[] = [];
  const refused: string[] = [];
  const waiters: (() => void)[] = [];
  const faults = simulatorFaults<{ failNextDeliveries?: number }>();

  const take = async (request: IncomingMessage): Promise<number> => {
    if (faults.take('failNextDeliveries')) {
      request.resume();
      return 503;
    }
    try {
      const split = await splitPackage(request, { maxPackageBytes: options.maxPackageBytes ?? 512 * 1024 * 1024, dir });
      const verified = await verifyEnvelope(split.envelopeXml, { trust: options.trust });
      const signer = verified.certificateChain[0]!;
      if (options.gatewayFingerprint && certificateFingerprint(signer) !== options.gatewayFingerprint) throw new Error('not signed by the gateway');
      checkAttachments(verified.envelope.kind === 'document' ? verified.envelope.manifest : [], split.attachments);
      const header = request.headers['x-lgsp-message-id'];
      received.push({ envelope: verified.envelope, attachments: split.attachments, signer, messageId: typeof header === 'string' ? header : undefined });
      for (const wake of waiters.splice(0)) wake();
      return 200;
    } catch (error) {
      refused.push((error as Error).message);
      request.resume();
      return 400;
    }
  };

  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    void take(request).then((status) => response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'OK' : 'refused'));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/edxml`,
    received,
    refused,
    failNext(n) {
      faults.set({ failNextDeliveries: n });
    },
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`edXML receiver: ${received.length} of ${count} packages arrived`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received.slice(0, count);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
