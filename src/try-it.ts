// The README's "Try it" commands, printed by a development start with this gateway's real address
// and data folder, so they paste as they are whatever PORT and DATA_DIR say. The README shows the
// same text with shell defaults (a test keeps the two equal).
import path from 'node:path';

/** A word the shell takes literally. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Where curl reaches a listener: an unspecified address (0.0.0.0, ::) means this machine. */
export function reachableUrl(listenUrl: string): string {
  const url = new URL(listenUrl);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
  return url.origin;
}

/** The commands, given the base URL and the credentials file as shell words. */
export function tryItScript(gatewayWord: string, credentialsWord: string): string {
  return `GW=${gatewayWord}
KEY=$(node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))['one-stop'].apiKey" ${credentialsWord})
curl -s -X POST "$GW/v1/dossiers" -H "x-api-key: $KEY" -H 'content-type: application/json' -d '{
  "code": "000.00.20.H26-251123-0001",
  "procedure": { "code": "1.001193", "name": "Cấp bản sao trích lục hộ tịch", "field": { "code": "G12-TP02", "name": "Hộ tịch" } },
  "agency": { "code": "000.00.20.H26", "name": "UBND phường Ba Đình" },
  "channel": "online",
  "applicant": { "kind": "citizen", "name": "Phạm Văn Bình", "idNumber": "001090009999" },
  "summary": "Cấp bản sao trích lục khai sinh",
  "receivedAt": "2025-11-23T08:30:00+07:00",
  "status": "RECEIVED"
}'
curl -s -X POST "$GW/v1/dossiers/000.00.20.H26-251123-0001/events" -H "x-api-key: $KEY" \\
  -H 'content-type: application/json' \\
  -d '{ "sequence": 1, "status": "PROCESSING", "at": "2025-11-23T09:00:00+07:00", "actor": { "name": "Lê Thị Hoa" } }'
curl -s "$GW/v1/dossiers/000.00.20.H26-251123-0001" -H "x-api-key: $KEY"
`;
}

/** What a development start prints: the commands for this gateway, ready to paste (a minimal Debian has no curl). */
export function tryItCommands(listenUrl: string, dataDir: string): string {
  const script = tryItScript(shellWord(reachableUrl(listenUrl)), shellWord(path.join(dataDir, 'dev-credentials.json')));
  return `Try it (paste into a shell; they use curl: apt-get install curl if it is missing):\n\n${script}`;
}
