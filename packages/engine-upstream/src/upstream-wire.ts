import { formatSize, profileRules, type ModelProfile } from '@imageforge/contracts';
import { encodeImage, type EditRequest, type EngineCommonRequest, type GenerateRequest, type RawImage, type VariationRequest } from '@imageforge/engine-core';

/**
 * Our normalized request back in OpenAI's wire names, with only what the upstream model's
 * family takes: OpenAI answers another family's parameter as `unknown_parameter`.
 * DALL·E models are asked for `b64_json` (their default is a link that expires); GPT image
 * models always answer `b64_json` and refuse `response_format`. No `stream` or
 * `partial_images`: the upstream call is answered whole.
 */

export type WireBody = { kind: 'json'; body: Record<string, unknown> } | { kind: 'multipart'; body: FormData };

export interface WireTarget {
  /** Model id sent upstream. */
  model: string;
  profile: ModelProfile;
}

type Fields = Record<string, string | number>;

export function generationBody(request: GenerateRequest, target: WireTarget): WireBody {
  return { kind: 'json', body: { ...commonFields(request, target, 'generation'), prompt: request.prompt } };
}

export async function editBody(request: EditRequest, target: WireTarget): Promise<WireBody> {
  const form = formOf({ ...commonFields(request, target, 'edit'), prompt: request.prompt });
  // dall-e-2 edits one image under `image`; GPT image models take several under `image[]`.
  const gpt = profileRules(target.profile).gptParameters;
  const images = gpt ? request.images : request.images.slice(0, 1);
  for (const [index, image] of images.entries()) form.append(gpt ? 'image[]' : 'image', await pngBlob(image), `image-${index}.png`);
  if (request.mask) form.append('mask', await pngBlob(request.mask), 'mask.png');
  return { kind: 'multipart', body: form };
}

export async function variationBody(request: VariationRequest, target: WireTarget): Promise<WireBody> {
  const form = formOf(commonFields(request, target, 'variation'));
  form.append('image', await pngBlob(request.image), 'image.png');
  return { kind: 'multipart', body: form };
}

function commonFields(request: EngineCommonRequest, target: WireTarget, operation: 'generation' | 'edit' | 'variation'): Fields {
  const rules = profileRules(target.profile);
  const fields: Fields = { model: target.model, n: request.n, size: formatSize(request.width, request.height) };
  if (!rules.gptParameters) fields.response_format = 'b64_json';
  if (operation !== 'variation' && !rules.foreignQualities && Object.hasOwn(rules.qualities, request.quality)) fields.quality = request.quality;
  if (request.style && rules.styles.includes(request.style)) fields.style = request.style;
  if (rules.gptParameters && operation !== 'variation') {
    fields.background = request.background;
    fields.output_format = request.output.format;
    if (request.output.compression !== undefined && request.output.format !== 'png') fields.output_compression = request.output.compression;
    if (request.moderation) fields.moderation = request.moderation;
    if (operation === 'edit' && request.inputFidelity) fields.input_fidelity = request.inputFidelity;
  }
  if (request.user !== undefined) fields.user = request.user;
  return fields;
}

function formOf(fields: Fields): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
  return form;
}

/** Inputs arrive decoded; png keeps their alpha, which marks the region to edit when no mask is sent. */
async function pngBlob(image: RawImage): Promise<Blob> {
  const encoded = await encodeImage(image, { format: 'png', background: 'transparent' });
  return new Blob([new Uint8Array(encoded.data)], { type: 'image/png' });
}
