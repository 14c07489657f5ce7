/** Where batch lines go: the only endpoint the bench's lines name. */
export const GENERATIONS_ENDPOINT = '/v1/images/generations';

/**
 * A generations JSONL of `lines` requests, dall-e-2's smallest size with url answers:
 * about 200 bytes a line, so 50,000 lines are a 10 MB file.
 */
export function generationsJsonl(lines: number, model: string, tag: string): Buffer {
  const parts: string[] = [];
  for (let index = 1; index <= lines; index++) {
    parts.push(
      JSON.stringify({
        custom_id: `${tag}-${index}`,
        method: 'POST',
        url: GENERATIONS_ENDPOINT,
        body: { model, prompt: `a lighthouse on a cliff at dusk, oil painting, study ${index}`, size: '256x256', response_format: 'url' },
      }),
    );
  }
  return Buffer.from(`${parts.join('\n')}\n`);
}

/** The Files and Batches routes through plain HTTP, one key per client (one owner). */
export class BatchClient {
  constructor(private readonly baseUrl: string, private readonly apiKey: string) {}

  /** POST /v1/files with purpose `batch`; resolves with the file id once the API answered. */
  async upload(body: Buffer, filename: string): Promise<string> {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([body], { type: 'application/jsonl' }), filename);
    const file = await this.send('POST', '/v1/files', form);
    if (typeof file.id !== 'string') throw new Error(`POST /v1/files returned no id: ${JSON.stringify(file).slice(0, 200)}`);
    return file.id;
  }

  /** POST /v1/batches for a generations file; resolves with the batch id. */
  async create(inputFileId: string): Promise<string> {
    const batch = await this.send('POST', '/v1/batches', JSON.stringify({ input_file_id: inputFileId, endpoint: GENERATIONS_ENDPOINT, completion_window: '24h' }));
    if (typeof batch.id !== 'string') throw new Error(`POST /v1/batches returned no id: ${JSON.stringify(batch).slice(0, 200)}`);
    return batch.id;
  }

  private async send(method: 'POST', path: string, body: FormData | string): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}` };
    if (typeof body === 'string') headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(120_000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  }
}
