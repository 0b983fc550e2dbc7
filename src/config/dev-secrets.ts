// Development secrets (attachment links, the simulators' payment and postal credentials) are made
// once per DATA_DIR and kept there, so they survive a restart and are never constants in the source:
// a constant would let anyone who reaches a development gateway forge a paid notification.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function devSecret(dataDir: string, name: string): Promise<string> {
  const file = path.join(dataDir, name);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    // wx: two processes sharing DATA_DIR (api and worker) agree on the first one written.
    try {
      await writeFile(file, secret + '\n', { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      return (await readFile(file, 'utf8')).trim();
    }
  }
}
