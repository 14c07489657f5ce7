import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createRandom } from '@imageforge/engine-synthetic';

/**
 * Seeded generators of hostile HTTP requests, as raw bytes, and a raw-socket client
 * that reports what came back. The same seed yields the same cases, so a failure
 * found by `pnpm fuzz` replays exactly in a test.
 */

export type FuzzKind = 'bytes' | 'headers' | 'multipart' | 'json';

export interface FuzzCase {
  kind: FuzzKind;
  /** What was sent, short, for failure messages. */
  label: string;
  bytes: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const PATHS = [
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/images/variations',
  '/v1/images/jobs/%',
  '/v1/images/jobs/%E0%A4%A',
  '/v1/images/jobs/%zz/cancel',
  '/v1/images/jobs/imgjob_00000000000000000000000000000000',
  '/v1/models/%ff',
  '/v1/x',
  '/objects/%00/../../etc/passwd',
  '/v1/images/generations?%=%',
  '/v1/files',
  '/v1/files?limit=-1&order=sideways&after=%',
  '/v1/files/%zz/content',
  '/v1/files/file-abc',
  '/v1/batches',
  '/v1/batches?limit=abc',
  '/v1/batches/batch_x/cancel',
  '/v1/batches/%E0%A4%A',
];
const METHODS = ['POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'POST'];
const CONTENT_TYPES = ['application/json', 'multipart/form-data; boundary=XyZ', 'text/plain', 'application/json; charset=utf-7', 'multipart/form-data', 'image/png', ''];
const FIELDS = ['prompt', 'model', 'n', 'size', 'quality', 'response_format', 'style', 'user', 'background', 'output_format', 'output_compression', 'stream', 'partial_images', 'seed', 'images', 'mask', 'moderation', 'input_fidelity', 'input_file_id', 'endpoint', 'completion_window', 'metadata', 'output_expires_after', 'webhook_url'];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

class Picker {
  constructor(readonly random: () => number) {}
  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }
  text(maxLength: number): string {
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '%', '\u00e9', '\u{1F600}', '\u0000', '\r\n', '{', '[', ',', 'x'.repeat(50)];
    return Array.from({ length: this.int(maxLength) }, () => this.pick(alphabet)).join('');
  }
  jsonValue(depth = 0): unknown {
    switch (this.int(depth > 2 ? 6 : 9)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1, 2, 10, 11, 1.5, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER]);
      case 3:
        return this.pick(['256x256', '1024x1024', 'auto', 'dall-e-2', 'gpt-image-1', 'b64_json', 'url', 'png', 'transparent', '']);
      case 4:
      case 5:
        return this.text(40);
      case 6:
        return Array.from({ length: this.int(4) }, () => this.jsonValue(depth + 1));
      case 7:
        return { image_url: this.pick(['data:image/png;base64,', 'data:image/png;base64,iVBORw0KGgo=', 'https://example.com/x.png', 'data:,', 42]), file_id: this.text(10) };
      default:
        return Object.fromEntries(Array.from({ length: this.int(4) }, () => [this.pick(FIELDS), this.jsonValue(depth + 1)]));
    }
  }
}

function request(method: string, path: string, headers: Array<[string, string]>, body: Buffer): Buffer {
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers.map(([name, value]) => `${name}: ${value}`)];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

function withLength(headers: Array<[string, string]>, body: Buffer): Array<[string, string]> {
  return [...headers, ['Content-Length', String(body.length)]];
}

function bytesCase(p: Picker): FuzzCase {
  const prefix = p.chance(0.5) ? Buffer.from(`${p.pick(METHODS)} ${p.pick(PATHS)} HTTP/1.1\r\n`) : Buffer.alloc(0);
  const bytes = Buffer.concat([prefix, p.bytes(1 + p.int(600))]);
  return { kind: 'bytes', label: `${bytes.length} random bytes${prefix.length ? ' after a request line' : ''}`, bytes };
}

function headersCase(p: Picker): FuzzCase {
  const body = p.chance(0.5) ? Buffer.from(JSON.stringify({ prompt: 'a cat', size: '256x256' })) : p.bytes(p.int(200));
  const headers: Array<[string, string]> = [['Content-Type', p.pick(CONTENT_TYPES)], ['Prefer', 'respond-async']];
  let sent = body;
  switch (p.int(6)) {
    case 0:
      headers.push(['Content-Encoding', p.pick(['gzip', 'br', 'deflate', 'identity', 'x-unknown'])]);
      break;
    case 1: {
      const gz = gzipSync(body);
      headers.push(['Content-Encoding', 'gzip']);
      sent = gz.subarray(0, Math.max(1, p.int(gz.length)));
      break;
    }
    case 2:
      headers.push(['X-Long', 'v'.repeat(p.pick([100, 9_000, 20_000, 70_000]))]);
      break;
    case 3:
      headers.push(['Authorization', p.pick(['Bearer', 'Bearer ', 'Basic ###', `Bearer ${p.text(30)}`.replace(/[\r\n\u0000]/g, '')])]);
      break;
    case 4:
      headers.push(['Idempotency-Key', p.text(300).replace(/[\r\n\u0000]/g, '')], ['Prefer', p.pick(['wait=abc', 'wait=99999999999', 'respond-async, wait=1'])]);
      break;
    default:
      headers.push(['Transfer-Encoding', 'chunked']);
      return { kind: 'headers', label: 'chunked body cut mid-chunk', bytes: request('POST', p.pick(PATHS), headers, Buffer.from(`${(body.length + 5).toString(16)}\r\n`).subarray(0) ) };
  }
  const path = p.pick(PATHS);
  return { kind: 'headers', label: `${headers.map(([name]) => name).join(',')} on ${path}`, bytes: request(p.pick(METHODS), path, withLength(headers, sent), sent) };
}

function multipartCase(p: Picker): FuzzCase {
  const boundary = p.pick(['XyZ', 'b', '-'.repeat(70), 'a b', '']);
  const parts: Buffer[] = [];
  for (let i = 0, count = p.int(5); i < count; i++) {
    const name = p.pick(['image', 'image[]', 'mask', 'prompt', 'n', 'size', 'model', 'user', 'file', 'purpose', 'expires_after[seconds]', 'unknown', '']);
    const file = p.chance(0.5);
    const content = file ? Buffer.concat([p.chance(0.5) ? PNG_SIGNATURE : Buffer.alloc(0), p.bytes(p.int(300))]) : Buffer.from(p.text(30));
    const disposition = file ? `form-data; name="${name}"; filename="${p.pick(['x.png', '', '../../x', 'a"b'])}"` : `form-data; name="${name}"`;
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${file ? 'Content-Type: image/png\r\n' : ''}\r\n`), content, Buffer.from('\r\n'));
  }
  if (p.chance(0.7)) parts.push(Buffer.from(`--${boundary}--\r\n`));
  let body = Buffer.concat(parts);
  if (p.chance(0.3)) body = body.subarray(0, p.int(body.length + 1));
  const path = p.pick(['/v1/images/edits', '/v1/images/variations', '/v1/images/generations', '/v1/files']);
  const headers: Array<[string, string]> = [['Content-Type', `multipart/form-data; boundary=${boundary}`], ['Prefer', 'respond-async']];
  return { kind: 'multipart', label: `${parts.length} multipart chunks to ${path}`, bytes: request('POST', path, withLength(headers, body), body) };
}

function jsonCase(p: Picker): FuzzCase {
  const value = p.chance(0.8) ? Object.fromEntries(Array.from({ length: p.int(6) }, () => [p.pick(FIELDS), p.jsonValue()])) : p.jsonValue();
  let text = JSON.stringify(value) ?? 'null';
  if (p.chance(0.15)) text = text.slice(0, p.int(text.length));
  const body = Buffer.from(text);
  const path = p.pick(['/v1/images/generations', '/v1/images/edits', '/v1/batches', p.pick(PATHS)]);
  const headers: Array<[string, string]> = [['Content-Type', 'application/json'], ['Prefer', 'respond-async']];
  return { kind: 'json', label: `${text.slice(0, 80)} to ${path}`, bytes: request('POST', path, withLength(headers, body), body) };
}

/** `count` cases, cycling through the kinds, the same for the same seed. */
export function* fuzzCases(seed: number, count: number): Generator<FuzzCase> {
  const picker = new Picker(createRandom(seed));
  const makers = [bytesCase, headersCase, multipartCase, jsonCase];
  for (let i = 0; i < count; i++) yield makers[i % makers.length]!(picker);
}

/**
 * Writes the bytes to a fresh connection and reads until the server closes it (every case
 * asks for `Connection: close`). Resolves 'closed' when the server hung up without an HTTP
 * answer, which is a fair reply to garbage.
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<RawResponse | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
    // Half-closing at once would make the server drop answers to complete requests; only a
    // request the server is still waiting on (garbage, a body shorter than declared) is ended.
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.end(), 300);
    };
    socket.on('data', armIdle);
    socket.on('close', () => clearTimeout(idle));
    socket.write(bytes, armIdle);
  });
}

function parseResponse(raw: Buffer): RawResponse | 'closed' {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return 'closed';
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!Number.isInteger(status)) return 'closed';
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status, headers, body };
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * What a hostile request may get back: a closed socket, or an answer below 500 whose
 * error (for 4xx) is OpenAI's shape and carries a request id. Returns what is wrong, or null.
 */
export function fuzzAnswerProblem(answer: RawResponse | 'closed'): string | null {
  if (answer === 'closed') return null;
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 300)}`;
  if (!answer.headers['x-request-id']) return `answered ${answer.status} without x-request-id`;
  if (answer.status < 400) return null;
  let body: { error?: Record<string, unknown> } | undefined;
  try {
    body = JSON.parse(answer.body.toString('utf8')) as { error?: Record<string, unknown> };
  } catch {
    return `answered ${answer.status} with a body that is not JSON: ${answer.body.toString('utf8').slice(0, 200)}`;
  }
  const error = body?.error;
  const shaped = error && typeof error.message === 'string' && typeof error.type === 'string' && 'param' in error && 'code' in error;
  return shaped ? null : `answered ${answer.status} without OpenAI's error shape: ${answer.body.toString('utf8').slice(0, 200)}`;
}
