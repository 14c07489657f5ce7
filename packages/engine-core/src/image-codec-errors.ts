/**
 * Raised for input bytes that are not a decodable png/jpeg/webp: unknown magic
 * bytes, corrupt or truncated data. Callers map it to a 400, never a retry.
 */
export class ImageDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}

/**
 * Raised when an input's header claims more pixels than allowed. Checked before
 * any pixel is decoded, so a few-kilobyte decompression bomb costs nothing.
 */
export class ImageTooLargeError extends Error {
  constructor(
    readonly width: number,
    readonly height: number,
    readonly maxPixels: number,
  ) {
    super(`image is ${width}x${height} (${width * height} pixels), more than the ${maxPixels} allowed`);
    this.name = 'ImageTooLargeError';
  }
}
