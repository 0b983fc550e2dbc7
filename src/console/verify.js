// The checks of docs/audit-log.md ("Checking, offline"), redone in the browser with WebCrypto so that
// the auditor relies on the log key, not on the gateway's word. Every function answers a verdict
// with a reason instead of throwing, so that one bad field cannot hide the other checks.
import { ecdsaRawSignature, readCertificate } from './der.js';

export const BUNDLE_FORMAT = 'lgsp-audit-bundle/v1';
const MANIFEST_FORMAT = 'lgsp-call-manifest/v1';
const SIGNATURE_TYPE_ED25519 = 0x01;
const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
// fatal: a leaf or note that is not UTF-8 must fail, not be read with U+FFFD in it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// --- bytes ---------------------------------------------------------------------------------------

/** Canonical standard base64 only (one encoding per value), else undefined. */
export function fromBase64(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : undefined;
}

export function toBase64(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const padded = text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return toBase64url(bytes) === text ? bytes : undefined;
}

function toBase64url(bytes) {
  return toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function sha256(...parts) {
  return new Uint8Array(await subtle.digest('SHA-256', concat(...parts)));
}

/** RFC 8785 for what leaves hold (ASCII keys, integers): JSON.stringify with keys sorted. */
export function canonicalJson(value) {
  const sort = (v) =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify(sort(value));
}

// --- the log key and checkpoints -------------------------------------------------------------------

async function noteKeyId(name, publicKey) {
  return toHex((await sha256(utf8.encode(name), Uint8Array.of(0x0a, SIGNATURE_TYPE_ED25519), publicKey)).subarray(0, 4));
}

/** `<name>+<hex key id>+<base64(0x01 || public key)>`; answers { key } or { error }. */
export async function parseVerifierKey(text) {
  const parts = String(text).trim().split('+');
  const [name, id] = parts;
  const raw = fromBase64(parts.slice(2).join('+'));
  if (!name || !/^[0-9a-f]{8}$/i.test(id ?? '') || !raw || raw.length !== 33) return { error: 'không đúng dạng <tên>+<mã khóa>+<base64> / not <name>+<hex key id>+<base64 key>' };
  if (raw[0] !== SIGNATURE_TYPE_ED25519) return { error: 'không phải khóa Ed25519 / not an Ed25519 key' };
  const publicKey = raw.subarray(1);
  if ((await noteKeyId(name, publicKey)) !== id.toLowerCase()) return { error: 'mã khóa không khớp với khóa / key id does not match the key' };
  try {
    const cryptoKey = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    return { key: { name, keyId: id.toLowerCase(), text: String(text).trim(), cryptoKey } };
  } catch (error) {
    return { error: `trình duyệt không nhập được khóa Ed25519 / the browser cannot import the Ed25519 key: ${error.message}` };
  }
}

/**
 * A C2SP signed note holding a tlog-checkpoint, checked against the log key. Answers the parsed
 * checkpoint (also when the signature fails, to show what was claimed) and { ok, reason }.
 */
export async function openCheckpoint(note, key) {
  const result = { ok: false, reason: '', origin: '', size: -1, root: undefined, signers: [] };
  if (typeof note !== 'string') return { ...result, reason: 'không có checkpoint / no checkpoint' };
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { ...result, reason: 'checkpoint sai dạng / malformed signed note' };
  const text = note.slice(0, split + 1);
  const [origin = '', sizeLine = '', rootLine = ''] = text.slice(0, -1).split('\n');
  const root = fromBase64(rootLine);
  Object.assign(result, { origin, size: /^(0|[1-9][0-9]{0,15})$/.test(sizeLine) ? Number(sizeLine) : -1, root });
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    const raw = match && fromBase64(match[2]);
    if (!match || !raw || raw.length < 5) return { ...result, reason: 'dòng chữ ký sai dạng / malformed signature line' };
    result.signers.push({ name: match[1], keyId: toHex(raw.subarray(0, 4)), signature: raw.subarray(4) });
  }
  if (result.size < 0 || !root || root.length !== 32) return { ...result, reason: 'checkpoint sai dạng (kích thước, gốc) / malformed checkpoint (size, root)' };
  const own = result.signers.find((s) => s.name === key.name && s.keyId === key.keyId);
  if (!own) return { ...result, reason: `không có chữ ký của khóa nhật ký ${key.name}+${key.keyId} / not signed by the log key` };
  const valid = own.signature.length === 64 && (await subtle.verify({ name: 'Ed25519' }, key.cryptoKey, own.signature, utf8.encode(text)));
  if (!valid) return { ...result, reason: 'chữ ký Ed25519 sai / the Ed25519 signature does not verify' };
  // The key name is the origin (docs/audit-log.md); another origin is another log.
  if (origin !== key.name) return { ...result, reason: `nguồn gốc "${origin}" khác tên khóa / origin differs from the key name` };
  return { ...result, ok: true, reason: `ký bởi / signed by ${key.name}+${key.keyId}` };
}

// --- Merkle proofs (RFC 9162 §2.1.3.2 and §2.1.4.2; same logic as src/audit/merkle.ts) -------------

const half = (n) => Math.floor(n / 2);
const nodeHash = (left, right) => sha256(Uint8Array.of(0x01), left, right);
export const leafHash = (leaf) => sha256(Uint8Array.of(0x00), leaf);

export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return 'chỉ số nằm ngoài cây / index is not inside the tree';
  if (![leaf, root, ...proof].every((h) => h?.length === 32)) return 'mã băm phải dài 32 byte / every hash must be 32 bytes';
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return 'bằng chứng dài hơn đường tới gốc / proof is longer than the path to the root';
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return 'bằng chứng ngắn hơn đường tới gốc / proof is shorter than the path to the root';
  return equalBytes(r, root) ? '' : 'gốc tính được khác gốc của checkpoint / computed root does not match the checkpoint';
}

/** For 0 < from < to; the trivial cases are decided by the caller. Answers '' or why not. */
export async function verifyConsistency(from, to, proof, fromRoot, toRoot) {
  if (!(from > 0 && from < to)) return 'kích thước không hợp lệ / sizes out of range';
  if (![fromRoot, toRoot, ...proof].every((h) => h?.length === 32) || proof.length === 0) return 'bằng chứng sai dạng / malformed proof';
  const path = (from & (from - 1)) === 0 ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return 'bằng chứng quá dài / proof is too long';
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return 'bằng chứng quá ngắn / proof is too short';
  if (!equalBytes(fr, fromRoot)) return 'gốc cũ không khớp / first root does not match';
  return equalBytes(sr, toRoot) ? '' : 'gốc mới không khớp / second root does not match';
}

// --- certificates and the message signature --------------------------------------------------------

const CERTIFICATE_SIGNATURES = {
  '1.2.840.113549.1.1.11': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA', hash: 'SHA-384' },
};
const CURVES = { '1.2.840.10045.3.1.7': ['P-256', 32], '1.3.132.0.34': ['P-384', 48] };

/** Does `issuer`'s key sign `certificate`? Answers '' or why not. */
async function checkIssued(certificate, issuer) {
  const algorithm = CERTIFICATE_SIGNATURES[certificate.signatureAlgorithm];
  if (!algorithm) return `thuật toán ${certificate.signatureAlgorithm} không hỗ trợ ở đây / algorithm not supported here`;
  try {
    if (algorithm.name === 'ECDSA') {
      const curve = CURVES[issuer.keyAlgorithm.parameterOid];
      if (!curve) return 'đường cong không hỗ trợ / curve not supported';
      const key = await subtle.importKey('spki', issuer.spki, { name: 'ECDSA', namedCurve: curve[0] }, false, ['verify']);
      return (await subtle.verify({ name: 'ECDSA', hash: algorithm.hash }, key, ecdsaRawSignature(certificate.signature, curve[1]), certificate.tbs)) ? '' : 'chữ ký chứng thư sai / certificate signature does not verify';
    }
    const key = await subtle.importKey('spki', issuer.spki, algorithm, false, ['verify']);
    return (await subtle.verify(algorithm, key, certificate.signature, certificate.tbs)) ? '' : 'chữ ký chứng thư sai / certificate signature does not verify';
  } catch (error) {
    return `không kiểm tra được / cannot check: ${error.message}`;
  }
}

/** The detached JWS (RS256, x5c) over the body bytes, with the first certificate of the record's chain. */
async function checkJws(token, body, certificate) {
  const parts = String(token).split('.');
  if (parts.length !== 3 || parts[1] !== '') return 'JWS không ở dạng header..signature / not a detached JWS';
  const headerBytes = fromBase64url(parts[0]);
  const signature = fromBase64url(parts[2]);
  if (!headerBytes || !signature) return 'JWS không phải base64url chuẩn / not canonical base64url';
  let header;
  try {
    header = JSON.parse(strictUtf8.decode(headerBytes));
  } catch {
    return 'phần đầu JWS không phải JSON / the protected header is not JSON';
  }
  if (header?.alg !== 'RS256') return `alg là ${JSON.stringify(header?.alg)}, cần RS256 / alg must be RS256`;
  try {
    const key = await subtle.importKey('spki', certificate.spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    const input = utf8.encode(`${parts[0]}.${toBase64url(body)}`);
    return (await subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, signature, input)) ? '' : 'chữ ký không khớp nội dung / the signature does not verify over the body';
  } catch (error) {
    return `không kiểm tra được / cannot check: ${error.message}`;
  }
}

// --- one bundle ------------------------------------------------------------------------------------

/**
 * Every check of one evidence bundle. Each check is { id, title, state, reason } with state
 * 'ok', 'fail', 'skip' (could not be checked here, said why) or 'none' (nothing to check).
 * `record` is what the leaf bytes say, the only version of the record worth showing.
 */
export async function verifyBundle(bundle, key, expectedIndex) {
  const checks = [];
  const add = (id, title, state, reason) => checks.push({ id, title, state, reason });
  const result = { checks, record: undefined, certificates: [], checkpoint: undefined };

  if (bundle?.format !== BUNDLE_FORMAT || bundle.index !== expectedIndex) {
    add('bundle', 'Gói bằng chứng / Evidence bundle', 'fail', `không phải ${BUNDLE_FORMAT} của bản ghi ${expectedIndex} / not the bundle asked for`);
    return result;
  }
  add('bundle', 'Gói bằng chứng / Evidence bundle', 'ok', `${BUNDLE_FORMAT}, #${expectedIndex}`);

  const checkpoint = await openCheckpoint(bundle.checkpoint, key);
  result.checkpoint = checkpoint;
  const originOk = checkpoint.ok && checkpoint.origin === bundle.origin;
  add('checkpoint', 'Chữ ký checkpoint (Ed25519) / Checkpoint signature', originOk ? 'ok' : 'fail', checkpoint.ok && !originOk ? 'nguồn gốc khác của gói / origin differs from the bundle' : checkpoint.reason);

  const leaf = fromBase64(bundle.leaf);
  let record;
  try {
    record = JSON.parse(strictUtf8.decode(leaf));
  } catch {
    record = undefined;
  }
  if (!leaf || !record || record.v !== 1) {
    add('leaf', 'Lá chuẩn tắc (lgsp-leaf/v1) / Canonical leaf', 'fail', 'lá không phải JSON lgsp-leaf/v1 / the leaf is not lgsp-leaf/v1 JSON');
  } else if (!equalBytes(utf8.encode(canonicalJson(record)), leaf)) {
    add('leaf', 'Lá chuẩn tắc (lgsp-leaf/v1) / Canonical leaf', 'fail', 'lá không ở dạng JSON chuẩn tắc / the leaf is not canonical JSON');
  } else if (canonicalJson(bundle.record) !== canonicalJson(record)) {
    add('leaf', 'Lá chuẩn tắc (lgsp-leaf/v1) / Canonical leaf', 'fail', '"record" khác nội dung lá / "record" differs from the leaf');
  } else {
    result.record = record;
    add('leaf', 'Lá chuẩn tắc (lgsp-leaf/v1) / Canonical leaf', 'ok', `${leaf.length} byte, khóa đã sắp xếp / keys sorted, SHA-256 ${toHex(await leafHash(leaf)).slice(0, 16)}…`);
  }

  const proof = bundle.inclusionProof ?? {};
  const hashes = Array.isArray(proof.hashes) ? proof.hashes.map(fromBase64) : [];
  let inclusion;
  if (!leaf || !checkpoint.root) inclusion = 'thiếu lá hoặc gốc / no leaf or root to check';
  else if (proof.treeSize !== checkpoint.size) inclusion = `bằng chứng cho cây ${proof.treeSize}, checkpoint có ${checkpoint.size} / proof is for another tree size`;
  else inclusion = await verifyInclusion(await leafHash(leaf), expectedIndex, checkpoint.size, hashes, checkpoint.root);
  add('inclusion', 'Bằng chứng thuộc cây / Inclusion proof', inclusion ? 'fail' : 'ok', inclusion || `lá #${expectedIndex} thuộc cây ${checkpoint.size} lá / leaf is in the tree of size ${checkpoint.size}`);

  // What the leaf commits to decides what must be checked; the bundle's other fields only supply bytes.
  const claimed = record ?? bundle.record ?? {};
  let body;
  const bodyTitle = 'Cam kết nội dung SHA-256(salt‖body) / Body commitment';
  if (claimed.body == null) {
    add('body', bodyTitle, bundle.body == null ? 'none' : 'fail', bundle.body == null ? 'bản ghi không có nội dung / the record has no body' : 'gói có nội dung mà bản ghi không cam kết / the bundle has a body the record does not commit to');
  } else if (bundle.body?.pruned === true) {
    add('body', bodyTitle, 'skip', `nội dung đã xóa theo chính sách lưu trữ lúc ${bundle.body.prunedAt} / body pruned by retention`);
  } else {
    const salt = fromBase64(bundle.body?.salt);
    body = fromBase64(bundle.body?.bytes);
    const commitment = salt && body ? toHex(await sha256(salt, body)) : '';
    const ok = commitment !== '' && commitment === claimed.body.commitment;
    add('body', bodyTitle, ok ? 'ok' : 'fail', ok ? `${body.length} byte khớp cam kết / bytes match the commitment` : 'nội dung không khớp cam kết / the body does not match the commitment');
    if (!ok) body = undefined;
  }

  const signature = claimed.signature;
  const chainTitle = 'Chuỗi chứng thư khớp dấu vân tay / Certificates match the record';
  const signatureTitle = 'Chữ ký thông điệp / Message signature';
  if (signature == null) {
    add('chain', chainTitle, 'none', 'thông điệp không ký / the message is unsigned');
    add('signature', signatureTitle, 'none', 'thông điệp không ký / the message is unsigned');
    return result;
  }
  // A record signed through its call's manifest: the JWS is over the manifest, which must hold the
  // record's commitment at its position; the other items are only salted commitments.
  const viaManifest = signature.format === 'jws-manifest';
  let signed = { token: signature.value, bytes: body };
  if (viaManifest) {
    const manifest = await checkManifest(bundle.manifest, signature, claimed);
    add('manifest', 'Bản kê cuộc gọi (một chữ ký cho cả cuộc gọi) / Call manifest', manifest.problem ? 'fail' : 'ok', manifest.problem || manifest.summary);
    signed = { token: bundle.manifest?.signature, bytes: manifest.problem ? undefined : manifest.bytes };
  }
  const chain = Array.isArray(signature.chain) ? signature.chain : [];
  const certificates = [];
  let chainProblem = chain.length === 0 ? 'bản ghi không nêu chứng thư / the record names no certificate' : '';
  for (const fingerprint of chain) {
    const der = fromBase64(bundle.certificates?.[fingerprint]);
    if (!der) {
      chainProblem ||= `thiếu chứng thư ${fingerprint.slice(0, 16)}… / certificate missing from the bundle`;
      continue;
    }
    if (toHex(await sha256(der)) !== fingerprint) chainProblem ||= `chứng thư không băm ra ${fingerprint.slice(0, 16)}… / certificate does not hash to its fingerprint`;
    try {
      certificates.push(readCertificate(der));
    } catch (error) {
      chainProblem ||= `chứng thư không đọc được / unreadable certificate: ${error.message}`;
    }
  }
  if (!chainProblem && (signature.format === 'jws-detached' || viaManifest)) {
    // The token names its own chain (x5c); it has to be the one the record names.
    const header = (() => {
      try {
        return JSON.parse(strictUtf8.decode(fromBase64url(String(signed.token).split('.')[0])));
      } catch {
        return undefined;
      }
    })();
    const x5c = Array.isArray(header?.x5c) ? header.x5c : [];
    const x5cFingerprints = await Promise.all(x5c.map(async (entry) => (fromBase64(entry) ? toHex(await sha256(fromBase64(entry))) : '')));
    if (x5cFingerprints.join() !== chain.join()) chainProblem = 'x5c của JWS khác chuỗi trong bản ghi / the JWS x5c differs from the recorded chain';
  }
  for (let i = 0; !chainProblem && i + 1 < certificates.length; i++) {
    const why = await checkIssued(certificates[i], certificates[i + 1]);
    if (why) chainProblem = `chứng thư ${i} không do chứng thư ${i + 1} cấp / certificate ${i} not issued by ${i + 1}: ${why}`;
  }
  result.certificates = certificates.map((c, i) => ({ fingerprint: chain[i], subject: c.subject, issuer: c.issuer }));
  add(
    'chain',
    chainTitle,
    chainProblem ? 'fail' : 'ok',
    chainProblem || `${chain.length} chứng thư, mỗi cái do cái sau cấp (chưa xét CA tin cậy: dùng lgsp-audit verify --trust-store) / each issued by the next; trust anchor not judged here`,
  );

  const leafCertificate = certificates[0];
  if (viaManifest) {
    const why = !signed.bytes ? 'bản kê không hợp lệ / no valid manifest to check against' : !leafCertificate || chainProblem ? 'không có chứng thư hợp lệ để kiểm tra / no valid certificate to check with' : await checkJws(signed.token, signed.bytes, leafCertificate);
    add('signature', signatureTitle, why ? 'fail' : 'ok', why || `JWS RS256 trên bản kê hợp lệ, ký bởi / valid over the manifest, signed by ${leafCertificate.subject}`);
  } else if (signature.format !== 'jws-detached') {
    add('signature', signatureTitle, 'skip', `định dạng ${signature.format} không kiểm tra trong trình duyệt, dùng lgsp-audit verify / not checked in the browser`);
  } else if (!body && bundle.body?.pruned === true) {
    add('signature', signatureTitle, 'skip', 'nội dung đã xóa, không kiểm tra được chữ ký / body pruned, the signature cannot be checked');
  } else if (!body) {
    add('signature', signatureTitle, 'fail', 'không có nội dung hợp lệ để kiểm tra / no valid body to check against');
  } else if (!leafCertificate || chainProblem) {
    add('signature', signatureTitle, 'fail', 'không có chứng thư hợp lệ để kiểm tra / no valid certificate to check with');
  } else {
    const why = await checkJws(signature.value, body, leafCertificate);
    add('signature', signatureTitle, why ? 'fail' : 'ok', why || `JWS RS256 hợp lệ, ký bởi / valid, signed by ${leafCertificate.subject}`);
  }
  return result;
}

/** The bundle's call manifest against the record: its hash, its canonical form, the record's commitment at its position. */
async function checkManifest(carried, signature, record) {
  const bytes = fromBase64(carried?.bytes);
  if (!bytes || typeof carried?.signature !== 'string') return { problem: 'gói không có bản kê cuộc gọi / the bundle carries no call manifest' };
  if (toHex(await sha256(bytes)) !== signature.manifest) return { problem: 'bản kê không băm ra mã trong bản ghi / the manifest does not hash to the record\'s' };
  let manifest;
  try {
    manifest = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    manifest = undefined;
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Array.isArray(manifest.items) || !equalBytes(utf8.encode(canonicalJson(manifest)), bytes)) {
    return { problem: `bản kê không phải ${MANIFEST_FORMAT} chuẩn tắc / not a canonical ${MANIFEST_FORMAT}` };
  }
  const position = signature.position;
  if (!Number.isSafeInteger(position) || manifest.items[position] !== record.body?.commitment) {
    return { problem: `vị trí ${position} không chứa cam kết của bản ghi / position ${position} does not hold the record's commitment` };
  }
  if (manifest.endpoint !== record.endpoint) return { problem: 'bản kê của dịch vụ khác / the manifest is for another endpoint' };
  return { bytes, summary: `mục ${position + 1}/${manifest.items.length}, ${manifest.at} / item ${position + 1} of ${manifest.items.length}` };
}

/** 'fail' if any check failed, else 'partial' if one could not be done, else 'ok'. */
export function verdictOf(checks) {
  if (checks.some((c) => c.state === 'fail')) return 'fail';
  return checks.some((c) => c.state === 'skip') ? 'partial' : 'ok';
}
