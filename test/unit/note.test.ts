import { describe, expect, it } from 'vitest';
import {
  MAX_NOTE_BYTES,
  NoteError,
  generateNoteKey,
  keyId,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from '../../src/audit/note.js';
import type { NoteErrorCode, NoteVerifier } from '../../src/audit/note.js';

// golang/mod sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign, TestOpen).
const PETER_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VERIFIER = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG_B64 = 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=';
const ENOCH_SIG_B64 = 'rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=';
const PETER_SIG = `\u2014 PeterNeumann ${PETER_SIG_B64}\n`;
const ENOCH_SIG = `\u2014 EnochRoot ${ENOCH_SIG_B64}\n`;

// c2sp.org/signed-note, "Verifier keys" example (the editor's copy; quoted by several
// independent implementations). Being an Ed25519 signature, it can only verify if genuine.
const SPEC_VERIFIER = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

const peter = parseVerifierKey(PETER_VERIFIER);
const enoch = parseVerifierKey(ENOCH_VERIFIER);

function failure(run: () => unknown): NoteErrorCode | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  return undefined;
}

const sig = (b64: string) => Buffer.from(b64, 'base64').subarray(4);

// Sets an unused low bit of the last base64 digit: the same bytes, a second encoding.
function nonCanonical(b64: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const at = b64.replace(/=+$/, '').length - 1;
  const digit = alphabet[alphabet.indexOf(b64[at] as string) ^ 1] as string;
  return b64.slice(0, at) + digit + b64.slice(at + 1);
}

describe('published signed-note examples', () => {
  it('opens the C2SP signed-note example with its verifier key', () => {
    const key = parseVerifierKey(SPEC_VERIFIER);
    expect(key.name).toBe('example.com/foo');
    expect(key.keyId).toBe(0x530d903a);
    expect(openNote(SPEC_NOTE, [key]).text).toBe('This is an example message.\n');
  });

  it("signs Go's PeterNeumann note to exactly Go's bytes (Ed25519 is deterministic)", () => {
    const signer = parseSignerKey(PETER_SIGNER);
    expect(signer.name).toBe('PeterNeumann');
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signNote(TEXT, [signer])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it("opens Go's note: one verified and one unknown signature, then both verified", () => {
    const one = openNote(TEXT + '\n' + PETER_SIG + ENOCH_SIG, [peter]);
    expect(one.text).toBe(TEXT);
    expect(one.verifiedBy).toEqual([{ name: 'PeterNeumann', keyId: 0xc74f20a3, signature: sig(PETER_SIG_B64) }]);
    expect(one.unverified).toEqual([{ name: 'EnochRoot', keyId: 0xaf0cfe78, signature: sig(ENOCH_SIG_B64) }]);

    const both = openNote(TEXT + '\n' + PETER_SIG + ENOCH_SIG, [peter, enoch]);
    expect(both.verifiedBy.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(both.unverified).toEqual([]);
  });

  it('refuses a note no known key signed, and keeps the parsed note in the error', () => {
    try {
      openNote(TEXT + '\n' + PETER_SIG + ENOCH_SIG, []);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NoteError);
      expect((error as NoteError).code).toBe('no-verified-signature');
      expect((error as NoteError).note?.unverified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    }
  });

  it('refuses a duplicated verifier only when its key signed the note', () => {
    expect(failure(() => openNote(TEXT + '\n' + ENOCH_SIG, [enoch, peter, enoch]))).toBe('ambiguous-key');
    expect(failure(() => openNote(TEXT + '\n' + PETER_SIG, [enoch, peter, enoch]))).toBeUndefined();
  });

  it('refuses more than 100 signatures, verified or not', () => {
    expect(failure(() => openNote(TEXT + '\n' + PETER_SIG.repeat(101), [peter]))).toBe('too-many-signatures');
    expect(failure(() => openNote(TEXT + '\n' + PETER_SIG.repeat(101), []))).toBe('too-many-signatures');
    expect(openNote(TEXT + '\n' + PETER_SIG.repeat(100), [peter]).verifiedBy).toHaveLength(1);
  });

  it("refuses a known key's bad signature, and drops repeated signatures as Go does", () => {
    // Go inserts "ABCD" at byte 60 of the line, where the em dash is 3 bytes.
    const peterCorrupt = PETER_SIG_B64.slice(0, 43) + 'ABCD' + PETER_SIG_B64.slice(43);
    expect(failure(() => openNote(`${TEXT}\n\u2014 PeterNeumann ${peterCorrupt}\n`, [peter]))).toBe('invalid-signature');

    const enochCorrupt = ENOCH_SIG_B64.slice(0, 46) + 'ABCD' + ENOCH_SIG_B64.slice(46);
    const note = `${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}\u2014 EnochRoot ${enochCorrupt}\n`;
    const opened = openNote(note, [peter]);
    expect(opened.verifiedBy.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(opened.unverified.map((s) => s.signature)).toEqual([sig(ENOCH_SIG_B64), sig(enochCorrupt)]);
  });

  it("refuses Go's malformed notes", () => {
    const bad: (string | Buffer)[] = [
      TEXT,
      TEXT + '\n',
      TEXT + '\n' + PETER_SIG.slice(0, -1),
      '\x01' + TEXT + '\n' + PETER_SIG,
      Buffer.concat([Buffer.of(0xff), Buffer.from(TEXT + '\n' + PETER_SIG)]),
      TEXT + '\n' + `\u2014 Bad Name ${PETER_SIG_B64}`,
      TEXT + '\n' + PETER_SIG + 'Unexpected line.\n',
    ];
    for (const note of bad) expect(failure(() => openNote(note, [peter]))).toBe('malformed-note');
  });
});

describe('verifier and signer keys', () => {
  it("refuses every truncation and every one-byte change of Go's verifier key", () => {
    expect(failure(() => parseVerifierKey(PETER_VERIFIER))).toBeUndefined();
    for (let i = 0; i <= PETER_VERIFIER.length; i++) {
      for (let j = i + 1; j <= PETER_VERIFIER.length; j++) {
        if (i !== 0 || j !== PETER_VERIFIER.length) {
          expect(failure(() => parseVerifierKey(PETER_VERIFIER.slice(i, j))), PETER_VERIFIER.slice(i, j)).toBe('malformed-key');
        }
      }
    }
    for (let i = 0; i < PETER_VERIFIER.length; i++) {
      const changed = PETER_VERIFIER.slice(0, i) + String.fromCharCode(PETER_VERIFIER.charCodeAt(i) + 1) + PETER_VERIFIER.slice(i + 1);
      expect(failure(() => parseVerifierKey(changed)), changed).toBe('malformed-key');
    }
    // Wrong key length, and unknown algorithm, each with a key id adjusted to match.
    expect(failure(() => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='))).toBe('malformed-key');
    expect(failure(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe('malformed-key');
  });

  it("refuses every truncation and every one-byte change of Go's signer key", () => {
    for (let i = 0; i <= PETER_SIGNER.length; i++) {
      for (let j = i + 1; j <= PETER_SIGNER.length; j++) {
        if (i !== 0 || j !== PETER_SIGNER.length) {
          expect(failure(() => parseSignerKey(PETER_SIGNER.slice(i, j))), PETER_SIGNER.slice(i, j)).toBe('malformed-key');
        }
      }
    }
    for (let i = 0; i < PETER_SIGNER.length; i++) {
      const changed = PETER_SIGNER.slice(0, i) + String.fromCharCode(PETER_SIGNER.charCodeAt(i) + 1) + PETER_SIGNER.slice(i + 1);
      expect(failure(() => parseSignerKey(changed)), changed).toBe('malformed-key');
    }
  });

  it('derives the key id as SHA-256(name || 0x0A || 0x01 || public key)[:4]', () => {
    const publicKey = Buffer.from('AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k', 'base64').subarray(1);
    expect(publicKey.toString('hex')).toBe('e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4');
    expect(keyId('example.com/foo', 0x01, publicKey)).toBe(0x530d903a);
  });

  it('generates key pairs that parse, sign and verify; names with spaces or plus are refused', () => {
    const { signerKey, verifierKey } = generateNoteKey('log.example.gov.vn/audit');
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+log\.example\.gov\.vn\/audit\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    const signer = parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    expect([signer.name, signer.keyId]).toEqual([verifier.name, verifier.keyId]);
    expect(openNote(signNote('hello\n', [signer]), [verifier]).text).toBe('hello\n');
    for (const name of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u3000b', 'a\nb']) {
      expect(failure(() => generateNoteKey(name))).toBe('invalid-name');
    }
  });
});

describe('round trips and refusals of our own notes', () => {
  const a = generateNoteKey('a.example/log');
  const b = generateNoteKey('b.example/witness');
  const signerA = parseSignerKey(a.signerKey);
  const signerB = parseSignerKey(b.signerKey);
  const verifierA = parseVerifierKey(a.verifierKey);
  const verifierB = parseVerifierKey(b.verifierKey);

  it('keeps texts with blank lines, non-ASCII text and a leading BOM intact', () => {
    for (const text of ['a\n', '\n', 'a\n\nb\n', 'a\n\n', 'Sở Thông tin và Truyền thông\n— not a signature\n', '\ufeffx\n']) {
      const note = signNote(text, [signerA, signerB]);
      const opened = openNote(note, [verifierA, verifierB]);
      expect(opened.text).toBe(text);
      expect(opened.verifiedBy.map((s) => s.name)).toEqual(['a.example/log', 'b.example/witness']);
      expect(openNote(Buffer.from(note), [verifierB]).unverified.map((s) => s.name)).toEqual(['a.example/log']);
    }
  });

  it('refuses a changed text, and a signature checked against the wrong key', () => {
    const note = signNote('tree 1\n', [signerA]);
    expect(failure(() => openNote(note.replace('tree 1', 'tree 2'), [verifierA]))).toBe('invalid-signature');
    // Same name and key id as A but B's public key: a known key whose signature fails.
    const impostor: NoteVerifier = { name: verifierA.name, keyId: verifierA.keyId, verify: verifierB.verify };
    expect(failure(() => openNote(note, [impostor]))).toBe('invalid-signature');
    // Same name, other key id: an unknown key, so the note has no verified signature.
    expect(failure(() => openNote(note, [{ ...verifierB, name: verifierA.name }]))).toBe('no-verified-signature');
  });

  it('refuses texts that cannot be signed, and notes over the size limit', () => {
    for (const text of ['no newline', 'tab\there\n', 'cr\r\n', '\ud800\n']) {
      expect(failure(() => signNote(text, [signerA]))).toBe('malformed-note');
    }
    expect(failure(() => signNote('x\n', []))).toBe('too-many-signatures');
    const big = 'x'.repeat(MAX_NOTE_BYTES) + '\n';
    expect(failure(() => signNote(big, [signerA]))).toBe('note-too-large');
    expect(failure(() => openNote(big + '\n' + PETER_SIG, [peter]))).toBe('note-too-large');
  });

  it('refuses malformed signature lines', () => {
    const text = 'body\n\n';
    const good = signNote('body\n', [signerA]).slice('body\n\n'.length);
    const b64 = good.trim().split(' ')[2] as string;
    for (const line of [
      `- a.example/log ${b64}\n`,
      `\u2014a.example/log ${b64}\n`,
      `\u2014 a.example/log\n`,
      `\u2014 a.example/log  ${b64}\n`,
      `\u2014 a.example/log ${b64.slice(0, -1)}\n`,
      `\u2014 a.example/log ${b64} \n`,
      `\u2014 a.example/log AAAAAA==\n`,
      `\u2014 a+b ${b64}\n`,
      `\u2014 a.example/log ${b64}\n\n`,
      `\u2014 a.example/log ${b64}\r\n`,
      `\u2014 a.example/log ${nonCanonical(b64)}\n`,
    ]) {
      expect(failure(() => openNote(text + line, [verifierA])), line).toBe('malformed-note');
    }
    expect(openNote(text + good, [verifierA]).text).toBe('body\n');
  });
});
