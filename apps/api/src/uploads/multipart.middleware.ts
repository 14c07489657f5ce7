import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { GPT_MAX_IMAGE_BYTES, GPT_MAX_INPUT_IMAGES, PayloadTooLargeError } from '@imageforge/contracts';

export interface MultipartLimits {
  /** Whole-request cap; multer's fileSize limit is per file only. */
  maxRequestBytes: number;
}

export interface UploadedFiles {
  images: Express.Multer.File[];
  mask?: Express.Multer.File;
}

/**
 * Multipart parsing for edits and variations. Files stay in memory (they are
 * inspected, then written to object storage); the openai client sends one image
 * as `image`, several as `image[]`, and the mask as `mask`.
 */
export function createMultipartMiddleware(limits: MultipartLimits): RequestHandler {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: GPT_MAX_IMAGE_BYTES,
      files: GPT_MAX_INPUT_IMAGES + 1,
      fields: 64,
      // A 32,000-character prompt is up to 128 KB of UTF-8.
      fieldSize: 256 * 1024,
      parts: 128,
    },
  }).fields([
    { name: 'image', maxCount: GPT_MAX_INPUT_IMAGES },
    { name: 'image[]', maxCount: GPT_MAX_INPUT_IMAGES },
    { name: 'mask', maxCount: 1 },
  ]);
  return (req: Request, res: Response, next: NextFunction) => {
    const declared = Number(req.header('content-length') ?? 0);
    if (declared > limits.maxRequestBytes) {
      return next(requestTooLarge(limits.maxRequestBytes));
    }
    // Chunked bodies have no length up front: count as they stream and stop reading past the cap.
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxRequestBytes) {
        req.off('data', onData);
        req.unpipe();
        req.resume();
        next(requestTooLarge(limits.maxRequestBytes));
        next = () => undefined;
      }
    };
    req.on('data', onData);
    upload(req, res, (error?: unknown) => {
      req.off('data', onData);
      next(error);
    });
  };
}

function requestTooLarge(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The request is larger than the ${Math.floor(max / (1024 * 1024))} MB this server accepts.`, {
    code: 'request_too_large',
  });
}

/** Files from either field name, in the order they arrived. */
export function uploadedFiles(req: Request): UploadedFiles {
  const files = (req.files ?? {}) as Record<string, Express.Multer.File[] | undefined>;
  return { images: [...(files.image ?? []), ...(files['image[]'] ?? [])], mask: files.mask?.[0] };
}
