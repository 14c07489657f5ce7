import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeImage } from '@imageforge/engine-core';
import { patternImage } from '@imageforge/engine-core/testing';

export interface SeenRequest {
  path: string;
  headers: IncomingMessage['headers'];
  fields: Record<string, string>;
  files: string[];
}

export type TestAnswer = { status: number; body: unknown; headers?: Record<string, string> } | 'images';

/**
 * An OpenAI-compatible images server for engine tests: it reads JSON and multipart bodies
 * as OpenAI does, records them, and answers from `next` (default: png images of the asked size).
 */
export class UpstreamTestServer {
  readonly seen: SeenRequest[] = [];
  next: TestAnswer[] = [];
  extra: Record<string, unknown> = {};
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.answer(request).then(({ status, body, headers }) => {
        response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async answer(request: IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const fields: Record<string, string> = {};
    const files: string[] = [];
    if (String(request.headers['content-type']).startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') fields[name] = value;
        else files.push(name);
      }
    } else {
      for (const [name, value] of Object.entries(JSON.parse(raw.toString('utf8')) as Record<string, unknown>)) fields[name] = String(value);
    }
    this.seen.push({ path: request.url ?? '', headers: request.headers, fields, files });
    const next = this.next.shift() ?? 'images';
    if (next !== 'images') return next;
    const [width, height] = (fields.size ?? '64x64').split('x').map(Number) as [number, number];
    const data = await Promise.all(
      Array.from({ length: Number(fields.n ?? 1) }, async (_, i) => ({
        b64_json: (await encodeImage(patternImage(width, height, i * 31), { format: 'png', background: 'opaque' })).data.toString('base64'),
      })),
    );
    return { status: 200, body: { created: 1, data, ...this.extra } };
  }
}
