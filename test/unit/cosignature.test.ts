import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/audit/checkpoint.js';
import {
  SIGNATURE_TYPE_COSIGNATURE_V1,
  cosign,
  cosignedMessage,
  generateCosignerKey,
  parseCosignatureVerifierKey,
  parseCosignerKey,
  verifyCosignature,
} from '../../src/audit/cosignature.js';
import { NoteError, generateNoteKey, keyId, openNote, parseSignerKey, parseVerifierKey, signNote } from '../../src/audit/note.js';

// A checkpoint of the log arche2025h1.staging.ct.transparency.dev as served with the signatures of
// the log and of public witnesses, all produced by independent (Go) implementations. The witness
// keys are those the witnesses publish (remora's is also in transparency-dev/formats
// note/note_cosigv1_test.go); a real Ed25519 signature cannot verify by accident.
const REAL_BODY = 'arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n';
const REAL_LOG_LINES = [
  '\u2014 arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n',
  '\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n',
];
const REAL_WITNESSES = [
  {
    key: 'transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM',
    line: '\u2014 transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n',
  },
  {
    key: 'witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO',
    line: '\u2014 witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n',
  },
  {
    key: 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2',
    line: '\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n',
  },
];
const REAL_LOG_KEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REAL_TIME = 1779573024;

// c2sp.org/tlog-cosignature: the checkpoint of the example and the signed message it shows.
const SPEC_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_MESSAGE = 'cosignature/v1\ntime 1679315147\n' + SPEC_BODY;

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof NoteError ? error.code : (error as Error).name;
  }
  return undefined;
}

describe('published cosignatures', () => {
  it('signs exactly the message of the specification example', () => {
    expect(cosignedMessage(SPEC_BODY, 1679315147).toString()).toBe(SPEC_MESSAGE);
  });

  it('verifies three public witnesses over a real checkpoint and returns their timestamps', () => {
    for (const witness of REAL_WITNESSES) {
      expect(verifyCosignature(REAL_BODY, witness.line, parseCosignatureVerifierKey(witness.key))).toBe(REAL_TIME);
    }
  });

  it('opens the real cosigned checkpoint with the log key and the witness keys together', () => {
    const note = REAL_BODY + '\n' + REAL_LOG_LINES.join('') + REAL_WITNESSES.map((w) => w.line).join('');
    const verifiers = [parseVerifierKey(REAL_LOG_KEY), ...REAL_WITNESSES.map((w) => parseCosignatureVerifierKey(w.key))];
    const opened = openNote(note, verifiers);
    expect(parseCheckpoint(opened.text).size).toBe(1432088532);
    expect(opened.verifiedBy.map((s) => s.name)).toEqual([
      'arche2025h1.staging.ct.transparency.dev',
      ...REAL_WITNESSES.map((w) => w.key.split('+')[0]),
    ]);
    // The log's RFC 6962 signature (type 0x05) is not ours to check.
    expect(opened.unverified).toHaveLength(1);
  });

  it('refuses the real cosignatures over a changed checkpoint', () => {
    const changed = REAL_BODY.replace('1432088532', '42');
    for (const witness of REAL_WITNESSES) {
      expect(code(() => verifyCosignature(changed, witness.line, parseCosignatureVerifierKey(witness.key)))).toBe('invalid-signature');
    }
  });

  it('derives witness key ids with type byte 0x04, so a witness key is not a note key', () => {
    const remora = parseCosignatureVerifierKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2');
    expect(remora.keyId).toBe(keyId('remora.n621.de', SIGNATURE_TYPE_COSIGNATURE_V1, remora.publicKey));
    expect(remora.keyId).toBe(0xda77ade7);
    expect(code(() => parseVerifierKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2'))).toBe('malformed-key');
    // An ordinary note key (type 0x01) is refused as a witness key, and the reverse.
    expect(code(() => parseCosignatureVerifierKey(REAL_LOG_KEY))).toBe('malformed-key');
    const noteKey = generateNoteKey('w.example');
    expect(code(() => parseCosignerKey(noteKey.signerKey))).toBe('malformed-key');
    expect(code(() => parseSignerKey(generateCosignerKey('w.example').signerKey))).toBe('malformed-key');
  });
});

describe('our cosignatures', () => {
  const keys = generateCosignerKey('witness.example.gov.vn/w1');
  const witness = parseCosignerKey(keys.signerKey);
  const verifier = parseCosignatureVerifierKey(keys.verifierKey);
  const time = 1_760_000_000;

  it('round-trips, with the bytes key id || big-endian timestamp || Ed25519 signature', () => {
    const line = cosign(SPEC_BODY, witness, time);
    expect(verifyCosignature(SPEC_BODY, line, verifier)).toBe(time);
    const raw = Buffer.from(line.trim().split(' ')[2] as string, 'base64');
    expect(raw).toHaveLength(4 + 8 + 64);
    expect(raw.readUInt32BE(0)).toBe(witness.keyId);
    expect(raw.readBigUInt64BE(4)).toBe(BigInt(time));
    // It can be appended to a log-signed checkpoint and opened with the log's and witness's keys.
    const log = generateNoteKey('example.com/behind-the-sofa');
    const cosigned = signNote(SPEC_BODY, [parseSignerKey(log.signerKey)]) + line;
    expect(openNote(cosigned, [parseVerifierKey(log.verifierKey), verifier]).verifiedBy).toHaveLength(2);
  });

  it('refuses a cosignature over a different checkpoint or with a different time', () => {
    const line = cosign(SPEC_BODY, witness, time);
    expect(code(() => verifyCosignature(SPEC_BODY.replace('20852163', '20852164'), line, verifier))).toBe('invalid-signature');
    const raw = Buffer.from(line.trim().split(' ')[2] as string, 'base64');
    raw.writeBigUInt64BE(BigInt(time + 1), 4);
    const retimed = `\u2014 ${witness.name} ${raw.toString('base64')}\n`;
    expect(code(() => verifyCosignature(SPEC_BODY, retimed, verifier))).toBe('invalid-signature');
  });

  it('covers extension lines', () => {
    const body = SPEC_BODY + 'extension\n';
    const line = cosign(body, witness, time);
    expect(verifyCosignature(body, line, verifier)).toBe(time);
    expect(code(() => verifyCosignature(SPEC_BODY + 'extensioN\n', line, verifier))).toBe('invalid-signature');
  });

  it("refuses another witness's line, and a line that is not the witness's alone", () => {
    const other = parseCosignerKey(generateCosignerKey('other.example/w').signerKey);
    expect(code(() => verifyCosignature(SPEC_BODY, cosign(SPEC_BODY, other, time), verifier))).toBe('no-verified-signature');
    const both = cosign(SPEC_BODY, witness, time) + cosign(SPEC_BODY, other, time);
    expect(code(() => verifyCosignature(SPEC_BODY, both, verifier))).toBe('malformed-note');
  });

  it('refuses to cosign what is not a checkpoint, or at a time that is not whole seconds', () => {
    expect(code(() => cosign('not a checkpoint\n', witness, time))).toBe('CheckpointError');
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(code(() => cosign(SPEC_BODY, witness, bad))).toBe('RangeError');
  });
});
