// The signature benchmark: signatures and verifications a second for the messages the gateway really
// signs and checks (a JSON body with a detached JWS, a SOAP message with an XML Signature), next to
// `openssl speed rsa2048` run on the same machine in the same run, as a ratio. Reference rows show
// raw node:crypto RSA-2048 on 32 bytes and node-forge's JavaScript RSA, which is why the signer uses
// node:crypto. Everything runs on one thread of this process (openssl speed: one process, no -multi).
//
//   npx tsx bench/signatures.ts [--seconds N] [--rounds R] [--warmup S] [--dry-run] [--note TEXT]
//
// Records bench/results/<date>-signatures.json and a section appended to bench/RESULTS.md.
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, verify, createPublicKey, constants, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { toDossierItem, type TranslateContext } from '../adapters/national-portal/translate.js';
import { createDevPki } from '../src/crypto/dev-pki.js';
import { loadPemSigner } from '../src/crypto/file-signer.js';
import { signDetachedJws, verifyDetachedJws } from '../src/crypto/jws.js';
import type { Signer } from '../src/crypto/signer.js';
import { TrustStore } from '../src/crypto/trust-store.js';
import { signXml, verifyXml, type VerifyXmlOptions } from '../src/crypto/xml-signature.js';
import { BENCH_AGENCY, benchDossier } from './dossiers.js';
import { describeMachine, type Machine } from './machine.js';
import { SOAP_NS, soapBodyOf } from '../src/xml/soap.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH_DIR);
const OPENSSL = '/usr/bin/openssl';
const PARTNER = { id: 'bench-partner', name: 'Hệ thống một cửa điện tử tỉnh (bench)' };

// --- options -----------------------------------------------------------------------------------------

interface Options {
  seconds: number;
  warmupSeconds: number;
  forgeSeconds: number;
  rounds: number;
  record: boolean;
  note: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { seconds: 3, warmupSeconds: 1, forgeSeconds: 2, rounds: 5, record: true, note: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${arg} needs a positive number, not ${v}`);
      return n;
    };
    switch (arg) {
      case '--seconds':
        o.seconds = Math.round(positive(value())); // openssl speed -seconds takes whole seconds
        break;
      case '--warmup':
        o.warmupSeconds = positive(value());
        break;
      case '--rounds':
        o.rounds = Math.max(1, Math.round(positive(value())));
        break;
      case '--dry-run':
        o.record = false;
        break;
      case '--note':
        o.note = value();
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          [
            'npx tsx bench/signatures.ts [options]',
            '  --seconds N   timed seconds per row, and openssl speed -seconds N (default 3, whole seconds)',
            '  --warmup S    untimed warm-up seconds before each row (default 1)',
            '  --rounds R    the rows take turns R times, N / R seconds each (default 5)',
            '  --dry-run     print the figures, record nothing',
            '  --note TEXT   the note for RESULTS.md',
            '',
          ].join('\n'),
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${String(arg)} (see --help)`);
    }
  }
  o.forgeSeconds = Math.min(2, o.seconds);
  return o;
}

// --- messages ----------------------------------------------------------------------------------------

const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const MESSAGE_NS = 'urn:lgsp:dvcqg:hoso:1.0';
const SOAP_HEADER_XPATH = "/*[local-name()='Envelope']/*[local-name()='Header']";
/** Element names for the items of the portal item's lists. */
const LIST_ITEM_NAMES: Record<string, string> = {
  DinhDanhCHS: 'DinhDanh',
  TaiLieuNop: 'TepDinhKem',
  DanhSachLePhi: 'LePhi',
  DanhSachGiayToKetQua: 'GiayToKetQua',
};
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Characters XML 1.0 cannot carry at all, even escaped.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function escapeText(text: string): string {
  if (NOT_XML_CHAR.test(text)) throw new Error(`text ${JSON.stringify(text.slice(0, 40))} holds a character XML 1.0 cannot carry`);
  // \r would be normalised to \n by a parser, so it is kept as a character reference.
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Objects become child elements, lists a wrapper element of items, scalars escaped text. */
function toElements(name: string, value: unknown, prefix: string): string {
  if (!XML_NAME.test(name)) throw new Error(`${name} is not an XML element name`);
  const tag = `${prefix}:${name}`;
  if (value === null || value === undefined) return `<${tag}/>`;
  if (Array.isArray(value)) {
    const itemName = LIST_ITEM_NAMES[name] ?? 'Item';
    return `<${tag}>${value.map((item) => toElements(itemName, item, prefix)).join('')}</${tag}>`;
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => toElements(key, child, prefix))
      .join('');
    return `<${tag}>${inner}</${tag}>`;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `<${tag}>${escapeText(String(value))}</${tag}>`;
  throw new Error(`${name}: cannot serialise a ${typeof value}`);
}

/** A SOAP 1.1 message carrying the portal item as elements; the Body has wsu:Id="body" for the Reference. */
function soapMessage(item: object, agencyCode: string, messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:wsu="${WSU_NS}">` +
    `<soap:Header><m:MessageId xmlns:m="${MESSAGE_NS}">${escapeText(messageId)}</m:MessageId></soap:Header>` +
    `<soap:Body wsu:Id="body"><m:DongBoHoSoMC xmlns:m="${MESSAGE_NS}">` +
    `<m:MaDonVi>${escapeText(agencyCode)}</m:MaDonVi>${toElements('HoSo', item, 'm')}` +
    '</m:DongBoHoSoMC></soap:Body></soap:Envelope>'
  );
}

const soapBody: VerifyXmlOptions = { signedElement: soapBodyOf };

// --- measuring ---------------------------------------------------------------------------------------

type Against = 'sign' | 'verify';

interface RowSpec {
  key: string;
  label: string;
  against: Against;
  /** What is signed or verified, and its size. */
  message: string;
  messageBytes: number;
  /** What the operation costs besides the one RSA operation. */
  what: string;
  run: () => unknown;
  seconds: number;
  warmupSeconds: number;
}

interface Row {
  key: string;
  label: string;
  message: string;
  messageBytes: number;
  what: string;
  against: Against;
  warmupOps: number;
  ops: number;
  wallS: number;
  /** On-CPU time of the measuring thread (/proc/thread-self/schedstat). */
  threadCpuS: number;
  /** User and system CPU of the whole process, GC and other helper threads included. */
  processUserCpuS: number;
  processSystemCpuS: number;
  /** ops ÷ wall time. */
  perSecondWall: number;
  /** ops ÷ CPU time of the measuring thread: like openssl speed, which divides by its CPU time. */
  perSecondCpu: number;
  /** The same, round by round. */
  roundsPerSecondCpu: number[];
  /** thread CPU ÷ wall: 1.0 means the row had its core to itself. */
  cpuShare: number;
  /** All cores together, from /proc/stat, while the row ran: 1 ÷ cores is this thread alone. */
  machineBusy: number | undefined;
  latencyUs: { p50: number; p99: number; mean: number };
  /** perSecondCpu ÷ openssl's sign/s or verify/s. */
  ratioToOpenssl?: number;
}

/** Every result feeds this, so no call can be optimised away; it is printed at the end. */
let sink = 0;

interface Tally {
  spec: RowSpec;
  warmupOps: number;
  durations: number[];
  wallMs: number;
  threadS: number;
  cpuUser: number;
  cpuSystem: number;
  busyTicks: number;
  allTicks: number;
  roundRates: number[];
}

function take(result: unknown): void {
  sink = (sink + (typeof result === 'string' ? result.length : Buffer.isBuffer(result) ? result.length : 1)) % 1_000_003;
}

function warmUp(spec: RowSpec): Tally {
  const warmEnd = performance.now() + spec.warmupSeconds * 1000;
  let warmupOps = 0;
  while (performance.now() < warmEnd || warmupOps < 3) {
    take(spec.run());
    warmupOps++;
  }
  return { spec, warmupOps, durations: [], wallMs: 0, threadS: 0, cpuUser: 0, cpuSystem: 0, busyTicks: 0, allTicks: 0, roundRates: [] };
}

/** One timed round of `seconds`, operations back to back; figures add up across rounds. */
function runRound(tally: Tally, seconds: number): void {
  const machine0 = machineTicks();
  const thread0 = threadCpuNs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let last = t0;
  let ops = 0;
  do {
    take(tally.spec.run());
    const now = performance.now();
    tally.durations.push(now - last);
    last = now;
    ops++;
  } while (last < end || ops < 3);
  const cpu = process.cpuUsage(cpu0);
  const threadS = (threadCpuNs() - thread0) / 1e9;
  const machine1 = machineTicks();
  tally.wallMs += last - t0;
  tally.threadS += threadS;
  tally.cpuUser += cpu.user;
  tally.cpuSystem += cpu.system;
  if (machine0 && machine1) {
    tally.allTicks += machine1.total - machine0.total;
    tally.busyTicks += machine1.total - machine0.total - (machine1.idle - machine0.idle);
  }
  tally.roundRates.push(round(ops / threadS, 1));
}

function summarise(tally: Tally): Row {
  const { spec, durations, wallMs, threadS } = tally;
  durations.sort((a, b) => a - b);
  const rank = (p: number) => durations[Math.min(durations.length - 1, Math.max(0, Math.ceil(p * durations.length) - 1))] ?? 0;
  const ops = durations.length;
  const row: Row = {
    key: spec.key,
    label: spec.label,
    message: spec.message,
    messageBytes: spec.messageBytes,
    what: spec.what,
    against: spec.against,
    warmupOps: tally.warmupOps,
    ops,
    wallS: round(wallMs / 1000, 3),
    threadCpuS: round(threadS, 3),
    processUserCpuS: round(tally.cpuUser / 1e6, 3),
    processSystemCpuS: round(tally.cpuSystem / 1e6, 3),
    perSecondWall: round(ops / (wallMs / 1000), 1),
    perSecondCpu: round(ops / threadS, 1),
    roundsPerSecondCpu: tally.roundRates,
    cpuShare: round((threadS * 1000) / wallMs, 3),
    machineBusy: tally.allTicks > 0 ? round(tally.busyTicks / tally.allTicks, 3) : undefined,
    latencyUs: { p50: round(rank(0.5) * 1000, 1), p99: round(rank(0.99) * 1000, 1), mean: round((wallMs * 1000) / ops, 1) },
  };
  process.stderr.write(`[signatures] ${spec.label}: ${fmt(row.perSecondCpu, 1)}/s (CPU), ${fmt(row.perSecondWall, 1)}/s (wall), ${ops} ops, rounds ${row.roundsPerSecondCpu.join(' ')}\n`);
  return row;
}

/**
 * Every row warms up, then the rows take turns, `rounds` times, each for its seconds ÷ rounds: a burst
 * of other work on the machine then falls on all rows alike instead of on whichever ran at the time.
 */
function measureAll(specs: RowSpec[], rounds: number): Row[] {
  const tallies = specs.map(warmUp);
  for (let r = 0; r < rounds; r++) for (const tally of tallies) runRound(tally, tally.spec.seconds / rounds);
  return tallies.map(summarise);
}

/**
 * CPU time of the calling thread in ns. Linux's schedstat counts it in ns (user and system); the
 * process's CPU time would also count V8's GC helper threads, which openssl speed does not have.
 */
function threadCpuNs(): number {
  try {
    const first = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0];
    const ns = Number(first);
    if (first !== undefined && Number.isFinite(ns)) return ns;
  } catch {
    // not Linux, or no schedstat: fall back to the process figure below
  }
  return process.cpuUsage().user * 1000;
}

/** The `cpu` line of /proc/stat: total and idle (idle + iowait) ticks, all cores together. */
function machineTicks(): { total: number; idle: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 5 || ticks.some((t) => !Number.isFinite(t))) return undefined;
    return { total: ticks.reduce((a, b) => a + b, 0), idle: (ticks[3] ?? 0) + (ticks[4] ?? 0) };
  } catch {
    return undefined;
  }
}

function busyBetween(a: ReturnType<typeof machineTicks>, b: ReturnType<typeof machineTicks>): number | undefined {
  if (!a || !b || b.total <= a.total) return undefined;
  return round(1 - (b.idle - a.idle) / (b.total - a.total), 3);
}

// --- openssl speed -----------------------------------------------------------------------------------

interface OpensslResult {
  command: string;
  version: string;
  signPerSecond: number;
  verifyPerSecond: number;
  signSeconds: number;
  verifySeconds: number;
  /** The lines openssl printed about RSA-2048, as printed. */
  lines: string[];
  wallS: number;
  /** All cores together while openssl ran. */
  machineBusy: number | undefined;
}

/**
 * Finds the `rsa 2048 bits <t>s <t>s ... <rate> <rate> ...` line. OpenSSL 3.0 prints sign and verify
 * times then rates; 3.2+ adds encrypt/decrypt (and more) columns, so times are the `s`-suffixed
 * numbers and rates the bare ones, and the first two of each are sign and verify.
 */
function parseOpensslSpeed(output: string): { signPerSecond: number; verifyPerSecond: number; signSeconds: number; verifySeconds: number; line: string } {
  for (const line of output.split(/\r?\n/)) {
    const match = /^\s*rsa\s+2048\s+bits?\s+(.*)$/i.exec(line);
    if (!match?.[1]) continue;
    const tokens = match[1].trim().split(/\s+/);
    const times = tokens.filter((t) => /^\d+(\.\d+)?(e[-+]?\d+)?s$/i.test(t)).map((t) => Number(t.slice(0, -1)));
    const rates = tokens.filter((t) => /^\d+(\.\d+)?(e[-+]?\d+)?$/i.test(t)).map(Number);
    const [signSeconds, verifySeconds] = times;
    const [signPerSecond, verifyPerSecond] = rates;
    if (signSeconds === undefined || verifySeconds === undefined || signPerSecond === undefined || verifyPerSecond === undefined) continue;
    // The rate is 1/time, rounded; a line where they disagree is not the one we think it is.
    if (Math.abs(signPerSecond * signSeconds - 1) > 0.05 || Math.abs(verifyPerSecond * verifySeconds - 1) > 0.05) continue;
    return { signPerSecond, verifyPerSecond, signSeconds, verifySeconds, line: line.trim() };
  }
  throw new Error(`no "rsa 2048 bits ... sign/s verify/s" line in the openssl speed output:\n${output}`);
}

async function opensslSpeed(seconds: number): Promise<OpensslResult> {
  const run = promisify(execFile);
  const version = (await run(OPENSSL, ['version'])).stdout.trim();
  const args = ['speed', '-seconds', String(seconds), 'rsa2048'];
  process.stderr.write(`[signatures] ${OPENSSL} ${args.join(' ')} (about ${2 * seconds} s)\n`);
  const machine0 = machineTicks();
  const t0 = performance.now();
  const { stdout, stderr } = await run(OPENSSL, args, { maxBuffer: 1024 * 1024 });
  const wallS = round((performance.now() - t0) / 1000, 2);
  const machineBusy = busyBetween(machine0, machineTicks());
  const output = `${stdout}\n${stderr}`;
  const parsed = parseOpensslSpeed(output);
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /2048 bits? (private|public) RSA|^rsa\s+2048/i.test(l) || /^\s*sign\s+verify/.test(l));
  if (!lines.includes(parsed.line)) lines.push(parsed.line);
  return { command: `${OPENSSL} ${args.join(' ')}`, version, ...parsed, lines, wallS, machineBusy };
}

// --- the run -----------------------------------------------------------------------------------------

interface SignaturesResult {
  date: string;
  kind: 'signatures';
  machine: Machine & { nodeOpenssl: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  design: string;
  parameters: { seconds: number; warmupSeconds: number; forgeSeconds: number; rounds: number; rsaBits: number; messages: Record<string, number> };
  rows: Row[];
  openssl: OpensslResult;
  note: string;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const machine = await describeMachine();
  const loadAverageAtStart = os.loadavg().map((n) => round(n, 2));
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'lgsp-bench-signatures-'));
  let result: SignaturesResult;
  try {
    const pki = await createDevPki(tmp, { partners: [PARTNER] });
    const gateway = await loadPemSigner({ certificateFile: pki.gateway.signingCertificateFile, keyFile: pki.gateway.signingKeyFile });
    const partnerFiles = pki.partners[PARTNER.id];
    if (!partnerFiles) throw new Error('the dev PKI made no partner certificate');
    const partner = await loadPemSigner(partnerFiles);
    const trust = await TrustStore.load(pki.trustDir);
    const gatewayKey = createPrivateKey(await readFile(pki.gateway.signingKeyFile));
    const rsaBits = gatewayKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (rsaBits !== 2048) throw new Error(`the gateway key is RSA-${rsaBits}, the comparison needs RSA-2048`);

    // JSON: what a partner POSTs to /v1/dossiers (the gateway verifies it) and what the gateway sends
    // the national portal for the same dossier (the gateway signs it).
    const dossier = benchDossier('G22.99.01-251123-0042', 42);
    const inboundJson = Buffer.from(JSON.stringify(dossier));
    const attachments: TranslateContext = { attachmentUrl: (ref) => ref.url };
    const item = toDossierItem(dossier, attachments);
    const portalJson = Buffer.from(
      JSON.stringify({ session: 'b1946ac92492d2347c6235b4d2611184', madonvi: BENCH_AGENCY, service: 'DongBoHoSoMC', isUpdating: 'False', data: [item] }),
    );
    // XML: the same portal item as a SOAP message; the gateway signs it, and verifies a partner's.
    const xml = soapMessage(item, BENCH_AGENCY, 'urn:uuid:3f1c2a9e-8d1b-4c57-9a0e-2b7f6d4e1a55');
    const xmlBytes = Buffer.byteLength(xml);
    const signSoap = (signer: Signer) => signXml(xml, signer, { referenceUri: '#body', location: { xpath: SOAP_HEADER_XPATH, action: 'append' } });
    const partnerXml = Buffer.from(signSoap(partner));
    const gatewayXmlBytes = Buffer.byteLength(signSoap(gateway));
    const partnerToken = signDetachedJws(inboundJson, partner);
    const gatewayTokenBytes = Buffer.byteLength(signDetachedJws(portalJson, gateway));

    const checkTrust = (chain: Parameters<TrustStore['check']>[0]) => {
      const verdict = trust.check(chain, { at: new Date(), purpose: 'signing' });
      if (!verdict.ok) throw new Error(`trust check failed: ${verdict.code}: ${verdict.reason}`);
      return verdict;
    };
    // Sanity: everything verifies before anything is timed.
    checkTrust(verifyDetachedJws(partnerToken, inboundJson).certificateChain);
    checkTrust(verifyXml(partnerXml, soapBody).certificateChain);

    const digestInput = randomBytes(32);
    const publicKey: KeyObject = createPublicKey(gatewayKey);
    const rawSignature = sign('sha256', digestInput, gatewayKey);
    const forgeKey = forge.pki.privateKeyFromPem(gatewayKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const forgeSign = () => {
      const md = forge.md.sha256.create();
      md.update(digestInput.toString('binary'));
      return forgeKey.sign(md);
    };
    if (!Buffer.from(forgeSign(), 'binary').equals(rawSignature)) throw new Error('node-forge and node:crypto disagree on the signature');

    const base = { seconds: o.seconds, warmupSeconds: o.warmupSeconds };
    const jsonOut = `portal JSON (DongBoHoSoMC, 1 dossier)`;
    const jsonIn = `partner JSON (canonical dossier)`;
    const soap = `SOAP message (portal item as elements)`;
    const specs: RowSpec[] = [
      {
        key: 'jws-sign', label: 'JWS sign', against: 'sign', message: jsonOut, messageBytes: portalJson.length,
        what: `signDetachedJws: header with x5c (2 certificates), base64url of the body, RS256; token ${gatewayTokenBytes} B`,
        run: () => signDetachedJws(portalJson, gateway), ...base,
      },
      {
        key: 'jws-verify', label: 'JWS verify', against: 'verify', message: jsonIn, messageBytes: inboundJson.length,
        what: `verifyDetachedJws: strict token parsing, 2 X.509 parses, RS256 verify; token ${Buffer.byteLength(partnerToken)} B`,
        run: () => verifyDetachedJws(partnerToken, inboundJson), ...base,
      },
      {
        key: 'jws-verify-trust', label: 'JWS verify + chain and CRL check', against: 'verify', message: jsonIn, messageBytes: inboundJson.length,
        what: 'the above, then TrustStore.check(purpose signing): path to the root (2 more RSA verifies), validity, constraints, CRLs',
        run: () => checkTrust(verifyDetachedJws(partnerToken, inboundJson).certificateChain), ...base,
      },
      {
        key: 'xml-sign', label: 'XML sign', against: 'sign', message: soap, messageBytes: xmlBytes,
        what: `signXml: parse, exc-c14n of the Body, SHA-256, SignedInfo c14n, RSA-SHA256, KeyInfo; signed ${gatewayXmlBytes} B`,
        run: () => signSoap(gateway), ...base,
      },
      {
        key: 'xml-verify', label: 'XML verify', against: 'verify', message: soap, messageBytes: partnerXml.length,
        what: 'verifyXml (signed message): safe parse, structure checks, exc-c14n, digest, RSA-SHA256 verify',
        run: () => verifyXml(partnerXml, soapBody), ...base,
      },
      {
        key: 'xml-verify-trust', label: 'XML verify + chain and CRL check', against: 'verify', message: soap, messageBytes: partnerXml.length,
        what: 'the above, then TrustStore.check(purpose signing)',
        run: () => checkTrust(verifyXml(partnerXml, soapBody).certificateChain), ...base,
      },
      {
        key: 'node-crypto-sign', label: 'node:crypto RSA-2048 sign (reference)', against: 'sign', message: 'random bytes', messageBytes: digestInput.length,
        what: "crypto.sign('sha256', 32 bytes, key): PKCS#1 v1.5",
        run: () => sign('sha256', digestInput, gatewayKey), ...base,
      },
      {
        key: 'node-crypto-verify', label: 'node:crypto RSA-2048 verify (reference)', against: 'verify', message: 'random bytes', messageBytes: digestInput.length,
        what: "crypto.verify('sha256', 32 bytes, public key, signature)",
        run: () => verify('sha256', digestInput, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, rawSignature), ...base,
      },
      {
        key: 'forge-sign', label: 'node-forge RSA-2048 sign (reference)', against: 'sign', message: 'random bytes', messageBytes: digestInput.length,
        what: 'forge privateKey.sign(sha256 of the same 32 bytes): JavaScript big integers; short run',
        run: forgeSign, seconds: o.forgeSeconds, warmupSeconds: Math.min(o.warmupSeconds, 0.5),
      },
    ];
    // One row at a time on this thread; openssl afterwards, so the two never share the core.
    const rows = measureAll(specs, o.rounds);
    const openssl = await opensslSpeed(o.seconds);
    for (const row of rows) {
      row.ratioToOpenssl = round(row.perSecondCpu / (row.against === 'sign' ? openssl.signPerSecond : openssl.verifyPerSecond), 3);
    }
    const date = new Date().toISOString();
    result = {
      date,
      kind: 'signatures',
      machine: { ...machine, nodeOpenssl: process.versions.openssl ?? 'unknown', loadAverageAtStart, loadAverageAtEnd: os.loadavg().map((n) => round(n, 2)) },
      design:
        `one Node process, one thread: each row warms up, then the rows take turns in ${o.rounds} rounds, operations back to back, for the given seconds in all; dev PKI (root CA → Province CA → leaf, RSA-2048, fresh CRLs) in a temp folder; then openssl speed rsa2048 (one process) on the same machine`,
      parameters: {
        seconds: o.seconds,
        warmupSeconds: o.warmupSeconds,
        forgeSeconds: o.forgeSeconds,
        rounds: o.rounds,
        rsaBits,
        messages: {
          portalJsonBytes: portalJson.length,
          gatewayJwsTokenBytes: gatewayTokenBytes,
          partnerJsonBytes: inboundJson.length,
          partnerJwsTokenBytes: Buffer.byteLength(partnerToken),
          soapUnsignedBytes: xmlBytes,
          soapSignedBytes: partnerXml.length,
        },
      },
      rows,
      openssl,
      note: o.note ?? deriveNote(rows, openssl, machine),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  process.stdout.write(`${JSON.stringify({ rows: result.rows.map((r) => ({ row: r.label, perSecondCpu: r.perSecondCpu, perSecondWall: r.perSecondWall, ratio: r.ratioToOpenssl })), openssl: { sign: result.openssl.signPerSecond, verify: result.openssl.verifyPerSecond }, checksum: sink }, null, 2)}\n`);
  if (!o.record) {
    process.stdout.write(renderSection(result, undefined));
    return;
  }
  const resultsDir = path.join(BENCH_DIR, 'results');
  await mkdir(resultsDir, { recursive: true });
  const day = result.date.slice(0, 10);
  let file = path.join(resultsDir, `${day}-signatures.json`);
  for (let n = 2; await exists(file); n++) file = path.join(resultsDir, `${day}-signatures-${n}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  await appendFile(path.join(BENCH_DIR, 'RESULTS.md'), renderSection(result, path.relative(BENCH_DIR, file)));
  process.stderr.write(`[signatures] recorded ${path.relative(REPO, file)} and bench/RESULTS.md\n`);
}

function deriveNote(rows: Row[], openssl: OpensslResult, machine: Machine): string {
  const by = (key: string) => rows.find((r) => r.key === key);
  const raw = by('node-crypto-sign');
  const forgeRow = by('forge-sign');
  const jwsSign = by('jws-sign');
  const parts: string[] = [];
  if (raw && jwsSign) parts.push(`a JWS signature costs ${fmt((raw.perSecondCpu / jwsSign.perSecondCpu - 1) * 100)}% more than the bare RSA operation`);
  if (raw && forgeRow) parts.push(`node-forge signs ${fmt(raw.perSecondCpu / forgeRow.perSecondCpu)}× slower than node:crypto`);
  const slow = rows.filter((r) => r.cpuShare < 0.9);
  if (slow.length) parts.push(`rows with less than 90% of a core (machine busy?): ${slow.map((r) => r.label).join(', ')}`);
  const shared = [...rows.map((r) => r.machineBusy), openssl.machineBusy].filter((b): b is number => b !== undefined && b > 1 / machine.cores + 0.1);
  if (shared.length) parts.push(`other work shared the ${machine.cores} cores during ${shared.length} of ${rows.length + 1} measurements (machine busy up to ${fmt(Math.max(...shared) * 100)}%), so expect some noise`);
  parts.push(`openssl: ${fmt(openssl.signPerSecond, 1)} sign/s, ${fmt(openssl.verifyPerSecond, 1)} verify/s on one of ${machine.cores} cores`);
  return `${parts.join('; ')}.`;
}

// --- RESULTS.md --------------------------------------------------------------------------------------

function renderSection(r: SignaturesResult, jsonFile: string | undefined): string {
  const m = r.machine;
  const p = r.parameters;
  const msg = p.messages;
  const o = r.openssl;
  const lines = [
    '',
    `## ${r.date.slice(0, 16).replace('T', ' ')} UTC · Signatures (RSA-2048)`,
    '',
    `- **Machine**: ${m.cpuModel}, ${m.cores} cores (the figures use one), ${fmt(m.ramGiB)} GiB RAM; Node ${m.node} (OpenSSL ${m.nodeOpenssl}); ${m.os} (${m.kernel}); load average ${m.loadAverageAtStart.join(' ')} at the start`,
    `- **Set-up**: ${r.design}. Run with \`npx tsx bench/signatures.ts --seconds ${p.seconds} --rounds ${p.rounds}\`.`,
    `- **Parameters**: ${p.seconds} s per row in ${p.rounds} rounds after ${p.warmupSeconds} s of warm-up (node-forge: ${p.forgeSeconds} s), RSA-${p.rsaBits} keys from the dev PKI; \`${o.command}\` (${o.version})`,
    `- **Messages**: portal JSON ${fmt(msg.portalJsonBytes ?? 0)} B (gateway's JWS token ${fmt(msg.gatewayJwsTokenBytes ?? 0)} B); partner JSON ${fmt(msg.partnerJsonBytes ?? 0)} B (token ${fmt(msg.partnerJwsTokenBytes ?? 0)} B); SOAP message ${fmt(msg.soapUnsignedBytes ?? 0)} B unsigned, ${fmt(msg.soapSignedBytes ?? 0)} B signed`,
    `- **How to read it**: */s (CPU)* is operations ÷ CPU seconds of the one thread that ran them (Linux schedstat), as \`openssl speed\` divides by its own (user) CPU time, so other work on the machine lowers it less than the wall figure; the ratio compares it with openssl's sign/s (sign rows) or verify/s (verify rows). */s (wall)* is operations ÷ elapsed time; *core share* is thread CPU ÷ wall time (1.00: the row had a core to itself); *machine busy* is all ${m.cores} cores together from /proc/stat while the row ran, so ${fmt(100 / m.cores)}% is this thread alone and more is other work sharing the machine. CPU spent by V8's GC helper threads is left out of /s (CPU); the process totals are in the JSON, per row.`,
    '',
    '| Row | Message (bytes) | /s (CPU) | /s (wall) | core share | machine busy | µs/op p50 · p99 | vs openssl |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (row) =>
        `| ${row.label} | ${row.message} (${fmt(row.messageBytes)}) | **${fmt(row.perSecondCpu, 1)}** | ${fmt(row.perSecondWall, 1)} | ${fmt(row.cpuShare, 2)} | ${percent(row.machineBusy)} | ${fmt(row.latencyUs.p50)} · ${fmt(row.latencyUs.p99)} | ${row.ratioToOpenssl === undefined ? '' : `${fmt(row.ratioToOpenssl * 100, 1)}% of ${row.against}/s`} |`,
    ),
    `| \`openssl speed rsa2048\` | raw RSA-2048 | **${fmt(o.signPerSecond, 1)}** sign · **${fmt(o.verifyPerSecond, 1)}** verify | | | ${percent(o.machineBusy)} | ${fmt(o.signSeconds * 1e6)} · ${fmt(o.verifySeconds * 1e6)} (mean) | 100% |`,
    '',
    'What each row does:',
    '',
    ...r.rows.map((row) => `- *${row.label}*: ${row.what}.`),
    '',
    `openssl printed: ${o.lines.map((l) => `\`${l}\``).join('; ')}.`,
    '',
    `**Note**: ${r.note}`,
    '',
    ...(jsonFile ? [`Full figures: [${jsonFile}](${jsonFile})`, ''] : []),
  ];
  return lines.join('\n');
}

// --- helpers -----------------------------------------------------------------------------------------

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function percent(n: number | undefined): string {
  return n === undefined ? 'n/a' : `${fmt(n * 100)}%`;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
