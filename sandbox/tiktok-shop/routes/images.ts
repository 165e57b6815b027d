/**
 * Image upload (reference §2.5): multipart, body not signed, no shop_cipher; returns the `uri` to use
 * in product payloads and a `url` for description HTML.
 */
import { randomBytes } from 'node:crypto';
import { readParts } from '../../core/multipart.js';
import { invalidRequest, TtsCode, TtsError } from '../errors.js';
import type { Endpoint, EndpointCall } from '../gateway.js';
import { imageDimensions } from '../image-size.js';

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const USE_CASES = new Set([
  'MAIN_IMAGE',
  'ATTRIBUTE_IMAGE',
  'DESCRIPTION_IMAGE',
  'CERTIFICATION_IMAGE',
  'SIZE_CHART_IMAGE',
]);

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
      throw new TtsError(TtsCode.fileTooLarge, 'Image must be at most 5 MB');
    }
    throw error;
  }
  if (!bytes) throw invalidRequest('Invalid request parameters. data: an image file is required');
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
      if (!size) throw invalidRequest('Invalid image: only JPG, JPEG and PNG are accepted');
      if (size.width < 100 || size.height < 100 || size.width > 20_000 || size.height > 20_000) {
        throw invalidRequest('Invalid image: width and height must be 100-20000 px');
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
