// HTTP written by hand over node:net, for attacks an HTTP client would normalise away or refuse to
// send (`..` and `%2e%2e` in paths, NUL bytes, duplicated headers, headers of any size, bytes that are
// not UTF-8). Every request asks for Connection: close, so the answer ends when the socket does.
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  body: any;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given: no encoding, no normalisation. */
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function formatRequest({ method, target, headers = {}, body }: RawRequest, host: string): Buffer {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (bytes && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${bytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bytes ?? Buffer.alloc(0)]);
}

/** Sends the bytes and reads the answer until the server closes the connection. */
export function rawSend(baseUrl: string, payload: Buffer): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname);
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may close while a large request is still being written: what it answered counts.
    socket.on('error', (error) => (chunks.length > 0 ? undefined : reject(error)));
    socket.on('close', () => (chunks.length > 0 ? resolve(parseResponse(Buffer.concat(chunks))) : reject(new Error('the connection closed without an answer'))));
    socket.write(payload, () => undefined);
  });
}

export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  return rawSend(baseUrl, formatRequest(request, new URL(baseUrl).host));
}

function parseResponse(bytes: Buffer): RawResponse {
  const split = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(head[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let rest = bytes.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') rest = dechunk(rest);
  const text = rest.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status, headers, text, body };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
