import {
  applyFirstImageSize,
  checkUploads,
  InvalidRequestError,
  validateEditRequest,
  validateGenerationRequest,
  type DecodedImage,
  type ModelRegistry,
  type ValidatedEdit,
} from '@imageforge/contracts';
import type { ImageInput, ImageRequest } from './image-submission.service';
import { inspectUpload, storedInput, type InspectedUpload } from './upload-inspector';

/** An uploaded file an edit names by `file_id`, as its owner may use it. */
export interface ResolvedFile {
  /** Where the bytes live; the job reads them from there, nothing is copied. */
  key: string;
  bytes: Buffer;
}

/** Finds `fileId` among `owner`'s files, or throws an ApiError naming `param`. */
export type FileResolver = (owner: string, fileId: string, param: string) => Promise<ResolvedFile>;

export interface ImageRequestBuilderDeps {
  registry: ModelRegistry;
  maxInputPixels: number;
  /** Absent: `file_id` references are refused. */
  resolveFile?: FileResolver;
}

/** The JSON bodies a batch line may carry, by OpenAI endpoint. */
export const JSON_IMAGE_ENDPOINTS = {
  '/v1/images/generations': 'generation',
  '/v1/images/edits': 'edit',
} as const;
export type JsonImageEndpoint = keyof typeof JSON_IMAGE_ENDPOINTS;

/**
 * Turns a JSON body into a validated ImageRequest exactly as the HTTP endpoint does,
 * so a batch line and a synchronous call are held to the same contracts and fail with
 * the same error. Inputs are inspected (format, pixels, decodability) here, before a job
 * exists.
 */
export class ImageRequestBuilder {
  constructor(private readonly deps: ImageRequestBuilderDeps) {}

  fromJson(endpoint: JsonImageEndpoint, body: Record<string, unknown>, owner: string): Promise<ImageRequest> {
    return JSON_IMAGE_ENDPOINTS[endpoint] === 'generation' ? Promise.resolve(this.generation(body)) : this.jsonEdit(body, owner);
  }

  generation(body: Record<string, unknown>): ImageRequest {
    const { entry, params, prompt } = validateGenerationRequest({ body, source: 'json' }, this.deps.registry);
    return { operation: 'generation', entry, params, prompt };
  }

  /** The JSON edit form: `images: [{ image_url } | { file_id }]`, optional `mask`. */
  async jsonEdit(body: Record<string, unknown>, owner: string): Promise<ImageRequest> {
    const validated = validateEditRequest({ body, source: 'json' }, this.deps.registry);
    const images = await Promise.all(validated.images.map((image) => this.inspect(image, 'images', owner)));
    const mask = validated.mask ? await this.inspect(validated.mask, 'mask', owner) : undefined;
    return this.edit(validated, images, mask);
  }

  /** Checks inspected uploads against the model and resolves size `auto`; shared with multipart edits. */
  edit(validated: ValidatedEdit, images: InspectedInput[], mask?: InspectedInput): ImageRequest {
    const first = images[0];
    if (!first) throw new InvalidRequestError("Missing required parameter: 'image'.", { param: 'image', code: 'missing_required_parameter' });
    checkUploads('edit', validated.entry.profile, { images: images.map((image) => image.upload.probe), mask: mask?.upload.probe });
    const { params } = applyFirstImageSize(validated, { width: first.upload.probe.width, height: first.upload.probe.height });
    return {
      operation: 'edit',
      entry: validated.entry,
      params,
      prompt: validated.prompt,
      images: images.map((image) => image.input),
      ...(mask ? { mask: mask.input } : {}),
    };
  }

  /** An upload's bytes inspected, and the input the job will read. */
  async inspectBytes(field: 'image' | 'mask', param: string, bytes: Buffer, declaredType?: string): Promise<InspectedInput> {
    const upload = await inspectUpload(field, param, bytes, this.deps.maxInputPixels, declaredType);
    return { upload, input: storedInput(upload) };
  }

  private async inspect(image: DecodedImage, field: 'images' | 'mask', owner: string): Promise<InspectedInput> {
    const probeField = field === 'mask' ? 'mask' : 'image';
    if (image.kind === 'inline') return this.inspectBytes(probeField, image.param, image.bytes, image.mediaType);
    if (!this.deps.resolveFile) {
      throw new InvalidRequestError(`Invalid '${image.param}': file references are not supported by this server.`, {
        param: image.param,
        code: 'unsupported_value',
      });
    }
    const file = await this.deps.resolveFile(owner, image.fileId, image.param);
    const upload = await inspectUpload(probeField, image.param, file.bytes, this.deps.maxInputPixels);
    return { upload, input: { key: file.key } };
  }
}

export interface InspectedInput {
  upload: InspectedUpload;
  input: ImageInput;
}
