// `lgsp-audit watch`, one round: the log's latest checkpoint must be signed by the log key and be an
// extension of the last one this auditor accepted (kept in a state file). The key alone does not make
// a checkpoint good: a history rewritten and re-signed with the same key fails the consistency proof.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { verifyConsistency } from './merkle.js';
import { openNote, parseVerifierKey, type NoteVerifier } from './note.js';

export interface WatchOptions {
  /** The latest checkpoint note, as the log serves it. */
  fetchCheckpoint(): Promise<string>;
  /** The base64 hashes of the consistency proof between the two tree sizes. */
  fetchConsistency(from: number, to: number): Promise<string[]>;
  stateFile: string;
  /** The log's verifier key, `<name>+<hex key id>+<base64>`. */
  logKey: string;
}

export type WatchResult = { ok: true; treeSize: number; previousSize: number | undefined } | { ok: false; reason: string };

class Failure extends Error {}

/** Fetching and state-file errors other than a missing file are thrown: they are input errors, not verdicts. */
export async function watchOnce(options: WatchOptions): Promise<WatchResult> {
  const verifier = parseVerifierKey(options.logKey);
  try {
    const savedNote = await readState(options.stateFile);
    const saved = savedNote === undefined ? undefined : openCheckpoint(savedNote, verifier, `the saved checkpoint in ${options.stateFile}`);
    const latestNote = await options.fetchCheckpoint();
    const latest = openCheckpoint(latestNote, verifier, 'the latest checkpoint');
    if (saved) await checkConsistent(saved, latest, options);
    await saveState(options.stateFile, latestNote);
    return { ok: true, treeSize: latest.size, previousSize: saved?.size };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, reason: error.message };
    throw error;
  }
}

function openCheckpoint(note: string, verifier: NoteVerifier, what: string): Checkpoint {
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(openNote(note, [verifier]).text);
  } catch (error) {
    throw new Failure(`${what} does not verify with the log key (${(error as Error).message})`);
  }
  if (checkpoint.origin !== verifier.name) throw new Failure(`${what} is of another log than ${verifier.name}`);
  return checkpoint;
}

async function checkConsistent(saved: Checkpoint, latest: Checkpoint, options: WatchOptions): Promise<void> {
  const fork = new Failure(`fork detected: checkpoint ${latest.size} is not consistent with the saved checkpoint ${saved.size}`);
  if (latest.size < saved.size) throw new Failure(`fork detected: checkpoint ${latest.size} is smaller than the saved checkpoint ${saved.size}`);
  // Equal sizes need equal roots, and a saved empty tree is extended by anything: no proof to fetch.
  const proof = latest.size === saved.size || saved.size === 0 ? [] : await options.fetchConsistency(saved.size, latest.size);
  const hashes = proof.map((hash) => Buffer.from(hash, 'base64'));
  if (hashes.some((bytes, i) => bytes.toString('base64') !== proof[i])) throw fork;
  if (!verifyConsistency(saved.size, latest.size, hashes, saved.rootHash, latest.rootHash).ok) throw fork;
}

async function readState(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

// Written aside and renamed, so that a crash never leaves half a checkpoint as the state.
async function saveState(file: string, note: string): Promise<void> {
  await writeFile(`${file}.tmp`, note);
  await rename(`${file}.tmp`, file);
}
