import { comfyPromptRejected } from './comfy-errors';
import type { ApiWorkflow } from './workflow-template';

/** One image a node saved, as `/history` and `executed` messages list it. */
export interface ComfyImageRef {
  filename: string;
  subfolder: string;
  type: string;
}

export interface ComfyHistoryEntry {
  outputs: Record<string, { images?: ComfyImageRef[] } & Record<string, unknown>>;
  status?: { status_str?: string; completed?: boolean; messages?: [string, Record<string, unknown>][] };
}

export interface ComfyQueueState {
  running: string[];
  pending: string[];
}

/**
 * ComfyUI's HTTP routes, as the engine uses them. A refused graph (400 on `/prompt`) is an
 * permanent failure (an InternalError); anything else unexpected (connection refused, 5xx) is a plain Error the
 * queue retries.
 */
export class ComfyHttpClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  }

  url(path: string, query?: Record<string, string>): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    return url;
  }

  async queuePrompt(workflow: ApiWorkflow, clientId: string): Promise<string> {
    const response = await this.send('POST', 'prompt', { json: { prompt: workflow, client_id: clientId } });
    const body = await readJson(response);
    if (response.status === 400) throw comfyPromptRejected(body);
    await expectOk(response, 'POST /prompt', body);
    const promptId = (body as { prompt_id?: unknown }).prompt_id;
    if (typeof promptId !== 'string') throw new Error(`ComfyUI POST /prompt answered no prompt_id: ${JSON.stringify(body)}`);
    return promptId;
  }

  /** The prompt's history entry, or undefined while it has none (queued, running, or unknown). */
  async history(promptId: string): Promise<ComfyHistoryEntry | undefined> {
    const response = await this.send('GET', `history/${encodeURIComponent(promptId)}`);
    const body = await readJson(response);
    await expectOk(response, 'GET /history', body);
    return (body as Record<string, ComfyHistoryEntry>)[promptId];
  }

  async view(image: ComfyImageRef): Promise<Buffer> {
    const response = await this.send('GET', 'view', { query: { filename: image.filename, subfolder: image.subfolder, type: image.type } });
    if (!response.ok) await expectOk(response, `GET /view ${image.filename}`, await response.text());
    return Buffer.from(await response.arrayBuffer());
  }

  /** Uploads a png into ComfyUI's input folder; answers the name a LoadImage node takes. */
  async uploadImage(png: Buffer, filename: string): Promise<string> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), filename);
    form.append('type', 'input');
    form.append('overwrite', 'true');
    return inputName(await this.upload('upload/image', form));
  }

  /** Puts the mask's alpha into an uploaded image (what ComfyUI's mask editor does); answers the masked image's name. */
  async uploadMask(maskPng: Buffer, filename: string, original: string): Promise<string> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(maskPng)], { type: 'image/png' }), filename);
    form.append('type', 'input');
    form.append('overwrite', 'true');
    const slash = original.lastIndexOf('/');
    const ref = { filename: original.slice(slash + 1), subfolder: slash < 0 ? '' : original.slice(0, slash), type: 'input' };
    form.append('original_ref', JSON.stringify(ref));
    return inputName(await this.upload('upload/mask', form));
  }

  async queue(): Promise<ComfyQueueState> {
    const response = await this.send('GET', 'queue');
    const body = (await readJson(response)) as { queue_running?: unknown[][]; queue_pending?: unknown[][] };
    await expectOk(response, 'GET /queue', body);
    const ids = (items: unknown[][] | undefined) => (items ?? []).map((item) => String(item[1]));
    return { running: ids(body.queue_running), pending: ids(body.queue_pending) };
  }

  /** Interrupts the running prompt; older servers ignore the id and interrupt whatever runs. */
  async interrupt(promptId: string): Promise<void> {
    const response = await this.send('POST', 'interrupt', { json: { prompt_id: promptId } });
    await expectOk(response, 'POST /interrupt', await response.text());
  }

  async deletePending(promptId: string): Promise<void> {
    const response = await this.send('POST', 'queue', { json: { delete: [promptId] } });
    await expectOk(response, 'POST /queue', await response.text());
  }

  private async upload(path: string, form: FormData): Promise<unknown> {
    const response = await this.send('POST', path, { form });
    const body = await readJson(response);
    await expectOk(response, `POST /${path}`, body);
    return body;
  }

  private async send(method: string, path: string, options: { json?: unknown; form?: FormData; query?: Record<string, string> } = {}): Promise<Response> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(this.timeoutMs) };
    if (options.json !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(options.json);
    } else if (options.form) {
      init.body = options.form;
    }
    try {
      return await fetch(this.url(path, options.query), init);
    } catch (error) {
      throw new Error(`ComfyUI ${method} /${path} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

function inputName(body: unknown): string {
  const { name, subfolder } = (body ?? {}) as { name?: unknown; subfolder?: unknown };
  if (typeof name !== 'string') throw new Error(`ComfyUI upload answered no name: ${JSON.stringify(body)}`);
  return typeof subfolder === 'string' && subfolder ? `${subfolder}/${name}` : name;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

async function expectOk(response: Response, what: string, body: unknown): Promise<void> {
  if (response.ok) return;
  const detail = typeof body === 'string' ? body : JSON.stringify(body);
  throw new Error(`ComfyUI ${what} answered ${response.status}: ${(detail ?? '').slice(0, 500)}`);
}
