// The log's Ed25519 note key. It comes from its own file, never from the database, so that whoever
// can rewrite rows cannot re-sign the rewritten history. Development makes one in the data folder.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateNoteKey, parseSignerKey, parseVerifierKey, type NoteSigner, type NoteVerifier } from './note.js';

export interface LogKey {
  origin: string;
  signer: NoteSigner;
  verifier: NoteVerifier;
  /** The verifier key in note format, what auditors keep. */
  verifierKey: string;
}

export async function loadLogKey(file: string, origin: string): Promise<LogKey> {
  const signerKey = (await readFile(file, 'utf8')).trim();
  const signer = parseSignerKey(signerKey);
  if (signer.name !== origin) throw new Error(`The audit log key ${file} is named "${signer.name}", but AUDIT_LOG_ORIGIN is "${origin}"`);
  const verifierKey = (await readFile(`${file}.pub`, 'utf8').catch(() => '')).trim();
  if (!verifierKey) throw new Error(`The audit log key needs its verifier key beside it, in ${file}.pub`);
  const verifier = parseVerifierKey(verifierKey);
  if (verifier.keyId !== signer.keyId || verifier.name !== signer.name) throw new Error(`${file}.pub is not the verifier key of ${file}`);
  return { origin, signer, verifier, verifierKey };
}

/** Development only: the key in DATA_DIR/audit-log.key (and .pub), made on first start. */
export async function ensureDevLogKey(dataDir: string, origin: string): Promise<LogKey> {
  const file = path.join(dataDir, 'audit-log.key');
  try {
    return await loadLogKey(file, origin);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { signerKey, verifierKey } = generateNoteKey(origin);
  await writeFile(file, signerKey + '\n', { mode: 0o600 });
  await writeFile(`${file}.pub`, verifierKey + '\n');
  return loadLogKey(file, origin);
}

/** A verifier key given as itself or as the file holding it, as the command-line tools take it. */
export async function readVerifierKey(value: string): Promise<string> {
  if (isVerifierKey(value)) return value;
  const text = await readFile(value, 'utf8').catch((error: Error) => {
    throw new Error(`the log key is neither a verifier key nor a readable file: ${error.message}`);
  });
  const key = text.trim();
  if (!isVerifierKey(key)) throw new Error(`${value} does not hold a log verifier key (<name>+<hex key id>+<base64>)`);
  return key;
}

function isVerifierKey(text: string): boolean {
  try {
    parseVerifierKey(text);
    return true;
  } catch {
    return false;
  }
}
