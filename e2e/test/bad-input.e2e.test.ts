import { request as httpRequest } from 'node:http';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { countAllJobs } from './support/queue-inspector';
import { makeMask, makePng } from './support/test-images';

interface Case {
  name: string;
  send: () => Promise<Response>;
  status: number;
  param?: string | null;
  code?: string | null;
  message?: string;
}

describe('bad input is answered 4xx in OpenAI shape and never reaches the queue', () => {
  const stack = useImageStack({ withoutWorker: true });

  const json = (path: string, body: string) =>
    stack.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const form = (path: string, fill: (form: FormData) => void | Promise<void>) => async () => {
    const body = new FormData();
    await fill(body);
    return stack.request(path, { method: 'POST', body });
  };
  const png = async (width: number, height: number, alpha = true) => new Blob([await makePng(width, height, { alpha })], { type: 'image/png' });

  const cases: Case[] = [
    {
      name: 'malformed JSON',
      send: () => json('/v1/images/generations', '{"prompt": "x",'),
      status: 400,
      param: null,
      code: null,
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
    },
    { name: 'a JSON array body', send: () => json('/v1/images/generations', '[1,2]'), status: 400 },
    { name: 'n as a string in JSON', send: () => json('/v1/images/generations', '{"prompt":"x","n":"2"}'), status: 400, param: 'n', code: 'invalid_type' },
    { name: 'an unknown field', send: () => json('/v1/images/generations', '{"prompt":"x","colour":"red"}'), status: 400, param: 'colour' },
    {
      name: 'n = 11',
      send: () => json('/v1/images/generations', '{"prompt":"x","n":11}'),
      status: 400,
      param: 'n',
      code: 'integer_above_max_value',
      message: "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead.",
    },
    { name: 'dall-e-3 with n = 2', send: () => json('/v1/images/generations', '{"model":"dall-e-3","prompt":"x","n":2}'), status: 400, param: 'n' },
    { name: 'a prompt over 1000 characters for dall-e-2', send: () => json('/v1/images/generations', JSON.stringify({ prompt: 'a'.repeat(1001) })), status: 400, param: 'prompt' },
    { name: 'style on dall-e-2', send: () => json('/v1/images/generations', '{"prompt":"x","style":"vivid"}'), status: 400, param: 'style', code: 'unknown_parameter', message: "Unknown parameter: 'style'." },
    { name: 'dall-e-2 in a JSON edit', send: () => json('/v1/images/edits', JSON.stringify({ model: 'dall-e-2', prompt: 'x', images: [{ image_url: 'data:image/png;base64,AAAA' }] })), status: 400, param: 'model', code: 'invalid_value' },
    { name: 'transparent jpeg', send: () => json('/v1/images/generations', '{"model":"gpt-image-1","prompt":"x","background":"transparent","output_format":"jpeg"}'), status: 400, param: 'background' },
    { name: 'an unknown model', send: () => json('/v1/images/generations', '{"model":"nope","prompt":"x"}'), status: 404, code: 'model_not_found' },
    { name: 'a body over 1 MB on generations', send: () => json('/v1/images/generations', JSON.stringify({ prompt: 'x'.repeat(1_100_000) })), status: 413 },
    {
      name: 'a non-image file',
      send: form('/v1/images/variations', (f) => f.append('image', new Blob([Buffer.from('not an image at all')], { type: 'image/png' }), 'x.png')),
      status: 400,
      param: 'image',
      code: 'unsupported_file_mimetype',
    },
    {
      name: 'a text file on a GPT image edit',
      send: form('/v1/images/edits', (f) => {
        f.append('model', 'gpt-image-1');
        f.append('prompt', 'x');
        f.append('image', new Blob([Buffer.from('not an image at all')], { type: 'text/plain' }), 'x.txt');
      }),
      status: 400,
      param: 'image',
      code: 'unsupported_file_mimetype',
      message: "Invalid file 'image': unsupported mimetype ('text/plain'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.",
    },
    {
      name: 'a truncated PNG',
      send: form('/v1/images/variations', async (f) => {
        const bytes = await makePng(256, 256);
        f.append('image', new Blob([bytes.subarray(0, bytes.length - 200)], { type: 'image/png' }), 'x.png');
      }),
      status: 400,
      param: 'image',
    },
    {
      name: 'a non-square image for dall-e-2',
      send: form('/v1/images/variations', async (f) => f.append('image', await png(256, 128), 'x.png')),
      status: 400,
      param: 'image',
    },
    {
      name: 'a mask of another size',
      send: form('/v1/images/edits', async (f) => {
        f.append('image', await png(256, 256), 'x.png');
        f.append('mask', new Blob([await makeMask(128, 128, { x: 0, y: 0, w: 10, h: 10 })], { type: 'image/png' }), 'm.png');
        f.append('prompt', 'x');
      }),
      status: 400,
      param: 'mask',
    },
    {
      name: 'a dall-e-2 edit image over 4 MB',
      send: form('/v1/images/edits', async (f) => {
        const bytes = await makePng(256, 256);
        // Valid PNG followed by padding: still parses, but is over dall-e-2's 4 MB limit.
        f.append('image', new Blob([Buffer.concat([bytes, Buffer.alloc(4 * 1024 * 1024)])], { type: 'image/png' }), 'x.png');
        f.append('prompt', 'x');
      }),
      status: 400,
      param: null,
      code: 'invalid_image_format',
      message: 'Uploaded image must be a PNG and less than 4 MB.',
    },
    {
      name: 'an edit without an image',
      send: form('/v1/images/edits', (f) => f.append('prompt', 'x')),
      status: 400,
      param: 'image',
    },
    {
      name: 'a file in an unknown field',
      send: form('/v1/images/edits', async (f) => {
        f.append('picture', await png(64, 64), 'x.png');
        f.append('prompt', 'x');
      }),
      status: 400,
    },
    {
      name: 'a remote image_url in a JSON edit',
      send: () => json('/v1/images/edits', JSON.stringify({ model: 'gpt-image-1', prompt: 'x', images: [{ image_url: 'https://example.com/a.png' }] })),
      status: 400,
      code: 'invalid_image_url',
    },
  ];

  it.each(cases)('rejects $name', async ({ send, status, param, code, message }) => {
    const response = await send();
    const body = (await bodyOf(response)) as { error: Record<string, unknown> };
    expect(response.status).toBe(status);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('openai-version')).toBe('2020-10-01');
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    if (message !== undefined) expect(body.error.message).toBe(message);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(typeof body.error.message).toBe('string');
    if (param !== undefined) expect(body.error.param).toBe(param);
    if (code !== undefined) expect(body.error.code).toBe(code);
    expect(await countAllJobs(stack.redis.url)).toBe(0);
  });

  it('rejects a decompression bomb (huge dimensions in a tiny file) before decoding', async () => {
    const response = await form('/v1/images/variations', async (f) => {
      f.append('image', new Blob([pngHeaderClaiming(30_000, 30_000)], { type: 'image/png' }), 'bomb.png');
    })();
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error.param).toBe('image');
    expect(await countAllJobs(stack.redis.url)).toBe(0);
  });

  it('answers a truncated multipart body with 400', async () => {
    const boundary = 'xyzBOUNDARY';
    const partial = `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhello\r\n--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG`;
    const { status, body } = await rawPost(new URL(`${stack.url}/v1/images/edits`), `multipart/form-data; boundary=${boundary}`, partial);
    expect(status).toBe(400);
    expect(JSON.parse(body).error.code).toBe('invalid_multipart');
    expect(await countAllJobs(stack.redis.url)).toBe(0);
  });

  it('answers a request over the total cap with 413', async () => {
    const { status } = await rawPost(
      new URL(`${stack.url}/v1/images/edits`),
      'multipart/form-data; boundary=b',
      '',
      { 'content-length': String(500 * 1024 * 1024) },
    );
    expect(status).toBe(413);
  });
});

/** A PNG signature and IHDR chunk claiming width x height, with no pixel data behind it. */
function pngHeaderClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const type = Buffer.from('IHDR');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, ihdr])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), length, type, ihdr, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Sends a body as given (fetch would fix up a wrong or partial multipart body). */
function rawPost(url: URL, contentType: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': contentType, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    if (headers['content-length']) {
      req.end();
    } else {
      req.end(body);
    }
  });
}
