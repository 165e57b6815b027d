/**
 * Image upload (reference §2.5, upload-product-image): multipart, body not signed, no shop_cipher;
 * returns the `uri` to use in product payloads and a `url` for description HTML. Every refusal,
 * a malformed multipart body included, is an envelope error at HTTP 200 with the upload API's own
 * codes (12038xxx), never a 5xx.
 */
import { randomBytes } from 'node:crypto';
import { readParts } from '../../core/multipart.js';
import { invalidRequest, TtsCode, TtsError } from '../errors.js';
import type { Endpoint, EndpointCall } from '../gateway.js';
import { imageDimensions } from '../image-size.js';

/** upload-product-image: "Max size: 10MB". */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const USE_CASES = new Set([
  'MAIN_IMAGE',
  'ATTRIBUTE_IMAGE',
  'DESCRIPTION_IMAGE',
  'CERTIFICATION_IMAGE',
  'SIZE_CHART_IMAGE',
]);

/** upload-product-image: 100×100 to 20000×20000 px; MAIN_IMAGE 300×300 to 4000×4000 px. */
const DIMENSIONS: Record<string, { min: number; max: number }> = {
  MAIN_IMAGE: { min: 300, max: 4000 },
};
const DEFAULT_DIMENSIONS = { min: 100, max: 20_000 };

async function readUpload(call: EndpointCall): Promise<{ bytes: Buffer; useCase: string }> {
  let bytes: Buffer | undefined;
  let useCase: string | undefined;
  try {
    for await (const part of readParts(call.request)) {
      if (part.type === 'file') {
        const content = await part.toBuffer();
        if (part.fieldname === 'data') bytes = content;
      } else if (part.fieldname === 'use_case' && typeof part.value === 'string') {
        useCase = part.value;
      }
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new TtsError(TtsCode.imageTooLarge, 'The file size exceeds the maximum allowed size. (10 MB)');
    }
    // A body that is not valid multipart (e.g. a FormData object sent as the text "[object FormData]").
    throw new TtsError(
      TtsCode.invalidUploadFile,
      'Invalid upload file. Please ensure you are passing the correct file data.',
    );
  }
  if (!bytes) {
    throw new TtsError(
      TtsCode.invalidUploadFile,
      'Invalid upload file. Please ensure you are passing the correct file data. (multipart field "data")',
    );
  }
  return { bytes, useCase: useCase ?? 'MAIN_IMAGE' };
}

export const imageEndpoints: Endpoint[] = [
  // product/202309/images/upload (Upload Product Image)
  {
    method: 'POST',
    module: 'product',
    pattern: 'images/upload',
    name: 'Upload Product Image',
    shopCipher: 'forbidden',
    multipart: true,
    handle: async (call) => {
      const { bytes, useCase } = await readUpload(call);
      if (!USE_CASES.has(useCase)) throw invalidRequest(`Invalid request parameters. use_case: ${useCase}`);
      const size = imageDimensions(bytes);
      if (!size) {
        throw new TtsError(
          TtsCode.imageFormatUnsupported,
          'Failed to process the image. The format or content is not supported. (the sandbox reads JPG, JPEG and PNG)',
        );
      }
      const { min, max } = DIMENSIONS[useCase] ?? DEFAULT_DIMENSIONS;
      if (size.width < min || size.height < min || size.width > max || size.height > max) {
        throw new TtsError(
          TtsCode.imageDimensions,
          `The image dimensions exceed the allowed limits. Allowed dimensions (width x height in pixels): ${min} x ${min} to ${max} x ${max}`,
        );
      }
      const uri = `tos-maliva-i-sandbox/${randomBytes(16).toString('hex')}`;
      const image = {
        uri,
        url: call.rt.imageUrl(uri),
        appKey: call.app.appKey,
        width: size.width,
        height: size.height,
        useCase,
      };
      call.rt.state.images[uri] = image;
      return { uri, url: image.url, width: size.width, height: size.height, use_case: useCase };
    },
  },
];
