import { createHmac, randomBytes, sign, constants, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWS_HEADER, JwsError, signDetachedJws, verifyDetachedJws } from '../../src/crypto/jws.js';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import { JwsTestKeys, type TestKey } from '../support/jws-test-keys.js';

// A dossier as a partner would send it: pretty-printed, Vietnamese text in NFC, a trailing newline.
const DOSSIER = {
  maHoSo: 'G22.99-250612-0001',
  thuTuc: 'Cấp giấy phép xây dựng nhà ở riêng lẻ',
  chuHoSo: { hoTen: 'Nguyễn Thị Thuỳ Dương', diaChi: 'Số 12, đường Lê Lợi, phường Phú Hội, thành phố Huế' },
  ngayNop: '2025-06-12T08:30:00+07:00',
  giayTo: [{ ten: 'Đơn đề nghị cấp phép', soTrang: 2 }],
};
const BODY = Buffer.from(`${JSON.stringify(DOSSIER, null, 2)}\n`, 'utf8');

let keys: JwsTestKeys;
let alice: TestKey;
let mallory: TestKey;
let weak: TestKey;
let root: TestKey;
let intermediate: TestKey;
let leaf: TestKey;

beforeAll(async () => {
  keys = await JwsTestKeys.create();
  [alice, mallory, weak, root] = await Promise.all([
    keys.selfSigned('alice'),
    keys.selfSigned('mallory'),
    keys.selfSigned('weak', 1024),
    keys.selfSigned('root'),
  ]);
  intermediate = await keys.issued('intermediate', root, { ca: true });
  leaf = await keys.issued('leaf', intermediate);
});
afterAll(async () => {
  await keys?.cleanup();
});

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');
const x5cOf = (...certs: TestKey[]): string[] => certs.map((key) => key.certificate.raw.toString('base64'));

function headerFor(key: TestKey, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ alg: 'RS256', kid: key.signer.keyId, x5c: x5cOf(key), ...extra });
}

/** A detached token over `body` with `headerJson` as given, RS256-signed by `key` (alice unless told). */
function craft(headerJson: string | Buffer, body: Buffer = BODY, key: KeyObject = alice.privateKey): string {
  const encodedHeader = b64url(headerJson);
  const signature = sign('sha256', Buffer.from(`${encodedHeader}.${b64url(body)}`), key);
  return `${encodedHeader}..${b64url(signature)}`;
}

function refusal(token: string | undefined, body: Buffer = BODY, options?: { maxTokenBytes?: number }): JwsError {
  try {
    verifyDetachedJws(token, body, options);
  } catch (error) {
    if (error instanceof JwsError) return error;
    throw error;
  }
  throw new Error('the token was accepted');
}

function expectInvalid(token: string, reason: RegExp, body: Buffer = BODY): void {
  const error = refusal(token, body);
  expect(error.code).toBe('signature-invalid');
  expect(error.reason).toMatch(reason);
  expect(error.reason).not.toContain('\n');
}

describe('detached JWS round trip', () => {
  it('verifies a dossier body signed by the gateway and returns the header, key id and chain', () => {
    const token = signDetachedJws(BODY, alice.signer);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);

    const verified = verifyDetachedJws(token, BODY);
    expect(verified.keyId).toBe(certificateFingerprint(alice.certificate));
    expect(verified.header).toEqual({ alg: 'RS256', kid: alice.signer.keyId, x5c: x5cOf(alice) });
    expect(verified.certificateChain.map(certificateFingerprint)).toEqual([certificateFingerprint(alice.certificate)]);
  });

  it('puts standard base64 DER (not base64url) in x5c and only alg, kid and x5c in the header', () => {
    const [encodedHeader] = signDetachedJws(BODY, leaf.signer).split('.');
    const header = JSON.parse(Buffer.from(encodedHeader!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['alg', 'kid', 'x5c']);
    expect(header.x5c).toEqual([leaf.certificate.raw.toString('base64'), intermediate.certificate.raw.toString('base64')]);
  });

  it('returns an issued certificate chain leaf first, intermediate next, without the root', () => {
    const verified = verifyDetachedJws(signDetachedJws(BODY, leaf.signer), BODY);
    expect(verified.certificateChain.map(certificateFingerprint)).toEqual([leaf, intermediate].map((key) => certificateFingerprint(key.certificate)));
  });

  it('signs an empty body', () => {
    const empty = Buffer.alloc(0);
    expect(verifyDetachedJws(signDetachedJws(empty, alice.signer), empty).keyId).toBe(alice.signer.keyId);
  });

  it('names the header in lower case, as node:http presents it', () => {
    expect(JWS_HEADER).toBe('x-jws-signature');
  });
});

describe('detached JWS covers the exact body bytes', () => {
  const token = (): string => signDetachedJws(BODY, alice.signer);

  it('refuses the same JSON re-serialised without the whitespace', () => {
    const compact = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8'))), 'utf8');
    expectInvalid(token(), /does not verify/, compact);
  });

  it('refuses the same JSON re-serialised with other indentation', () => {
    expectInvalid(token(), /does not verify/, Buffer.from(`${JSON.stringify(DOSSIER, null, 4)}\n`, 'utf8'));
  });

  it('refuses the body without its trailing newline', () => {
    expectInvalid(token(), /does not verify/, BODY.subarray(0, BODY.length - 1));
  });

  it('refuses the same text in NFD (decomposed Vietnamese diacritics)', () => {
    expectInvalid(token(), /does not verify/, Buffer.from(BODY.toString('utf8').normalize('NFD'), 'utf8'));
  });

  it('refuses a body with one byte changed', () => {
    const changed = Buffer.from(BODY);
    const at = changed.indexOf('0001');
    changed[at + 3] = 0x32; // G22.99-250612-0001 -> ...-0002
    expectInvalid(token(), /does not verify/, changed);
  });
});

describe('detached JWS refusals', () => {
  it.each([
    ['no header', undefined],
    ['an empty header', ''],
  ])('refuses %s as signature-missing', (_name, token) => {
    expect(refusal(token).code).toBe('signature-missing');
  });

  it('refuses a token over 32 KiB before decoding it', () => {
    expectInvalid(`${'A'.repeat(32 * 1024)}..${'B'.repeat(342)}`, /longer than 32768/);
  });

  it('refuses a valid token over a smaller maxTokenBytes', () => {
    const error = refusal(signDetachedJws(BODY, alice.signer), BODY, { maxTokenBytes: 512 });
    expect(error.code).toBe('signature-invalid');
    expect(error.reason).toMatch(/longer than 512/);
  });

  it('refuses an attached payload (compact JWS carrying the body in the middle)', () => {
    const [encodedHeader, , signature] = signDetachedJws(BODY, alice.signer).split('.');
    expectInvalid(`${encodedHeader}.${b64url(BODY)}.${signature}`, /carries a payload/);
  });

  it('refuses an attached payload even when the HTTP body is empty', () => {
    const [encodedHeader, , signature] = signDetachedJws(BODY, alice.signer).split('.');
    expectInvalid(`${encodedHeader}.${b64url(BODY)}.${signature}`, /carries a payload/, Buffer.alloc(0));
  });

  it.each([
    ['one segment', (t: string) => t.replace('..', '')],
    ['two segments', (t: string) => t.replace('..', '.')],
    ['four segments', (t: string) => t.replace('..', '...')],
    ['a trailing dot', (t: string) => `${t}.`],
    ['a JSON serialisation', () => JSON.stringify({ protected: 'e30', signature: 'AA' })],
  ])('refuses a token with %s', (_name, mangle) => {
    expectInvalid(mangle(signDetachedJws(BODY, alice.signer)), /not of the form header\.\.signature/);
  });

  it('refuses an empty header segment', () => {
    expectInvalid(`..${signDetachedJws(BODY, alice.signer).split('..')[1]}`, /header segment is empty/);
  });

  it('refuses an empty signature segment (alg none style)', () => {
    expectInvalid(`${signDetachedJws(BODY, alice.signer).split('..')[0]}..`, /signature segment is empty/);
  });

  it.each([
    ['standard base64 "+" in the header', (h: string, s: string) => `+${h.slice(1)}..${s}`],
    ['standard base64 "/" in the signature', (h: string, s: string) => `${h}..${s.slice(0, -1)}/`],
    ['"=" padding on the signature', (h: string, s: string) => `${h}..${s}==`],
    ['a space in the header', (h: string, s: string) => `${h.slice(0, 10)} ${h.slice(10)}..${s}`],
    ['a non-ASCII character', (h: string, s: string) => `${h}é..${s}`],
  ])('refuses a token with %s', (_name, mangle) => {
    const [h, s] = signDetachedJws(BODY, alice.signer).split('..') as [string, string];
    expectInvalid(mangle(h, s), /outside the base64url alphabet/);
  });

  it('refuses non-canonical base64url (stray low bits in the last character)', () => {
    const [h, s] = signDetachedJws(BODY, alice.signer).split('..') as [string, string];
    // 256 bytes encode to 342 characters whose last carries 4 unused bits; flip one of them.
    const last = s.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = alphabet[alphabet.indexOf(last) ^ 1]!;
    expectInvalid(`${h}..${s.slice(0, -1)}${tweaked}`, /not canonical base64url/);
  });

  // Tables hold functions: the keys exist only once beforeAll has run.
  it.each([
    ['a JSON array', () => JSON.stringify([headerFor(alice)])],
    ['a JSON string', () => JSON.stringify(headerFor(alice))],
    ['JSON null', () => 'null'],
  ])('refuses a header that is %s', (_name, headerJson) => {
    expectInvalid(craft(headerJson()), /not a JSON object/);
  });

  it.each([
    ['not JSON', () => '{alg: RS256}'],
    ['JSON with a trailing comma', () => `${headerFor(alice).slice(0, -1)},}`],
    ['JSON behind a byte order mark', () => `\uFEFF${headerFor(alice)}`],
  ])('refuses a header that is %s', (_name, headerJson) => {
    expectInvalid(craft(headerJson()), /not UTF-8 JSON/);
  });

  it('refuses a header that is not valid UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from(headerFor(alice).slice(0, -1)), Buffer.from([0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])]); // ,"x":"\xff"}
    expectInvalid(craft(bytes), /not UTF-8 JSON/);
  });

  it('refuses duplicate alg keys (none first, RS256 last, which JSON.parse would keep)', () => {
    expectInvalid(craft(`{"alg":"none",${headerFor(alice).slice(1)}`), /twice/);
  });

  it('refuses a duplicate key spelled with an escape ("k\\u0069d")', () => {
    expectInvalid(craft(`{"k\\u0069d":"other",${headerFor(alice).slice(1)}`), /"kid" twice/);
  });

  it('refuses a __proto__ key', () => {
    expectInvalid(craft(`{"__proto__":{"alg":"RS256"},${headerFor(alice).slice(1)}`), /__proto__/);
  });

  it('refuses alg none with a valid RS256 signature', () => {
    expectInvalid(craft(headerFor(alice, { alg: 'none' })), /alg is "none"/);
  });

  it('refuses alg none with an unsigned token', () => {
    expectInvalid(`${b64url(headerFor(alice, { alg: 'none' }))}..${b64url('x')}`, /alg is "none"/);
  });

  it('refuses HS256 with the certificate public key as HMAC secret (key confusion)', () => {
    const encodedHeader = b64url(headerFor(alice, { alg: 'HS256' }));
    const secret = alice.certificate.publicKey.export({ type: 'spki', format: 'pem' });
    const mac = createHmac('sha256', secret).update(`${encodedHeader}.${b64url(BODY)}`).digest();
    expectInvalid(`${encodedHeader}..${b64url(mac)}`, /alg is "HS256"/);
  });

  it('refuses PS256 with a valid RSA-PSS signature', () => {
    const encodedHeader = b64url(headerFor(alice, { alg: 'PS256' }));
    const signature = sign('sha256', Buffer.from(`${encodedHeader}.${b64url(BODY)}`), {
      key: alice.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    expectInvalid(`${encodedHeader}..${b64url(signature)}`, /alg is "PS256"/);
  });

  it.each([['RS512'], ['rs256'], [['RS256']]])('refuses alg %j', (alg) => {
    expectInvalid(craft(headerFor(alice, { alg })), /only "RS256" is accepted/);
  });

  it('refuses a header without alg', () => {
    expectInvalid(craft(JSON.stringify({ kid: alice.signer.keyId, x5c: x5cOf(alice) })), /alg is missing/);
  });

  it('refuses crit, even naming a parameter that is present', () => {
    expectInvalid(craft(headerFor(alice, { crit: ['exp'], exp: 1_900_000_000 })), /"crit"/);
  });

  it('refuses an RFC 7797 unencoded-payload token (b64 false, crit b64)', () => {
    const encodedHeader = b64url(headerFor(alice, { b64: false, crit: ['b64'] }));
    const signature = sign('sha256', Buffer.concat([Buffer.from(`${encodedHeader}.`), BODY]), alice.privateKey);
    expectInvalid(`${encodedHeader}..${b64url(signature)}`, /"(crit|b64)"/);
  });

  it('refuses b64 false without crit', () => {
    const encodedHeader = b64url(headerFor(alice, { b64: false }));
    const signature = sign('sha256', Buffer.concat([Buffer.from(`${encodedHeader}.`), BODY]), alice.privateKey);
    expectInvalid(`${encodedHeader}..${b64url(signature)}`, /"b64"/);
  });

  it('refuses b64 true', () => {
    expectInvalid(craft(headerFor(alice, { b64: true })), /"b64"/);
  });

  it.each([
    ['jku (a key set to fetch)', { jku: 'https://attacker.example/jwks.json' }],
    ['x5u (a certificate to fetch)', { x5u: 'https://attacker.example/cert.pem' }],
    ['jwk (an embedded key)', { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } }],
  ])('refuses %s', (_name, extra) => {
    const name = Object.keys(extra)[0]!;
    expectInvalid(craft(headerFor(alice, extra)), new RegExp(`"${name}"`));
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
  ])('refuses a kid that is %s', (_name, kid) => {
    expectInvalid(craft(headerFor(alice, { kid })), /no kid/);
  });

  it.each([
    ['missing', () => undefined],
    ['empty', () => []],
    ['a string, not an array', () => alice.certificate.raw.toString('base64')],
  ])('refuses an x5c that is %s', (_name, x5c) => {
    expectInvalid(craft(headerFor(alice, { x5c: x5c() })), /no x5c/);
  });

  it('refuses an x5c of 9 certificates', () => {
    expectInvalid(craft(headerFor(alice, { x5c: Array<string>(9).fill(x5cOf(alice)[0]!) })), /9 certificates, at most 8/);
  });

  it('accepts an x5c of 8 certificates', () => {
    const token = craft(headerFor(alice, { x5c: Array<string>(8).fill(x5cOf(alice)[0]!) }));
    expect(verifyDetachedJws(token, BODY).certificateChain).toHaveLength(8);
  });

  it('refuses an x5c entry that is not a string', () => {
    expectInvalid(craft(headerFor(alice, { x5c: [{ der: x5cOf(alice)[0] }] })), /not a string/);
  });

  it('refuses an x5c entry in base64url', () => {
    const der = alice.certificate.raw.toString('base64url');
    expect(der).toMatch(/[-_]/);
    expectInvalid(craft(headerFor(alice, { x5c: [der] })), /x5c\[0\] is not canonical base64/);
  });

  it('refuses an x5c entry without its base64 padding', () => {
    // Any certificate whose DER length is not a multiple of 3 has padding to leave out.
    const padded = [alice, mallory, root, intermediate, leaf, weak].map((key) => key.certificate.raw.toString('base64')).find((der) => der.endsWith('='));
    expect(padded).toBeDefined();
    expectInvalid(craft(headerFor(alice, { x5c: [padded!.replace(/=+$/, '')] })), /x5c\[0\] is not canonical base64/);
  });

  it('refuses an x5c entry that is not a certificate', () => {
    expectInvalid(craft(headerFor(alice, { x5c: [randomBytes(600).toString('base64')] })), /x5c\[0\] is not an X\.509 certificate/);
  });

  it('refuses an x5c entry that is a PEM certificate rather than DER', () => {
    const pem = Buffer.from(alice.certificate.toString()).toString('base64');
    expectInvalid(craft(headerFor(alice, { x5c: [pem] })), /x5c\[0\] is not exactly one DER certificate/);
  });

  it('refuses an x5c entry with bytes after the certificate', () => {
    const padded = Buffer.concat([alice.certificate.raw, Buffer.from([0, 0, 0])]).toString('base64');
    expectInvalid(craft(headerFor(alice, { x5c: [padded] })), /x5c\[0\] is not exactly one DER certificate/);
  });

  it('refuses a later x5c entry that is not a certificate', () => {
    expectInvalid(craft(headerFor(alice, { x5c: [...x5cOf(alice), 'AAAA'] })), /x5c\[1\] is not an X\.509 certificate/);
  });

  it('refuses a 1024-bit RSA key even with a valid signature', () => {
    expectInvalid(craft(headerFor(weak), BODY, weak.privateKey), /1024 bits, at least 2048/);
  });

  it('refuses a signature truncated by one byte', () => {
    const [h, s] = signDetachedJws(BODY, alice.signer).split('..') as [string, string];
    expectInvalid(`${h}..${b64url(Buffer.from(s, 'base64url').subarray(0, -1))}`, /255 bytes, the key needs exactly 256/);
  });

  it('refuses a signature with a leading zero byte added', () => {
    const [h, s] = signDetachedJws(BODY, alice.signer).split('..') as [string, string];
    expectInvalid(`${h}..${b64url(Buffer.concat([Buffer.alloc(1), Buffer.from(s, 'base64url')]))}`, /257 bytes, the key needs exactly 256/);
  });

  it('refuses a swapped x5c: signed by one key, presenting the certificate of another', () => {
    expectInvalid(craft(headerFor(mallory), BODY, alice.privateKey), /does not verify/);
  });

  it('refuses a chain presented root-side first (x5c[0] must be the signing certificate)', () => {
    const headerJson = JSON.stringify({ alg: 'RS256', kid: leaf.signer.keyId, x5c: x5cOf(intermediate, leaf) });
    expectInvalid(craft(headerJson, BODY, leaf.privateKey), /does not verify/);
  });

  it('refuses a header changed after signing (kid swapped)', () => {
    const [, s] = signDetachedJws(BODY, alice.signer).split('..') as [string, string];
    expectInvalid(`${b64url(headerFor(alice, { kid: 'someone-else' }))}..${s}`, /does not verify/);
  });

  it('refuses random bytes of the right length as a signature', () => {
    expectInvalid(`${signDetachedJws(BODY, alice.signer).split('..')[0]}..${b64url(randomBytes(256))}`, /does not verify/);
  });
});
