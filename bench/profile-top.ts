// `npx tsx bench/profile-top.ts FILE.cpuprofile [N]`: the functions a V8 CPU profile (from
// `npm run bench -- --cpu-prof`) spent the most self time in, and the packages or files they live in.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function place(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/((?:src|adapters|schemas|bench)\/.+)$/.exec(url)?.[1];
  return own ?? (url || '(native)');
}

async function main(): Promise<void> {
  const [file, top = '30'] = process.argv.slice(2);
  if (!file) throw new Error('usage: npx tsx bench/profile-top.ts FILE.cpuprofile [N]');
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${place(url)}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    byPlace.set(place(url), (byPlace.get(place(url)) ?? 0) + dt);
  });
  const show = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
      process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
    }
  };
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
  show('self time by package or file', byPlace);
  show('self time by function', self);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
});
