import type { FastifyInstance } from 'fastify';
import { readParts } from '../../core/multipart.js';
import { type PublicCall, publicOrShopApi } from '../api.js';
import { ShopeeError, shopeeErrors } from '../errors.js';
import type { ShopeeRuntime } from '../runtime.js';
import { imageUrl } from '../views.js';

const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

function imageType(bytes: Buffer): string | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  return undefined;
}

/** At most 8 files per call ("image number should be less than 9"). */
const MAX_FILES = 8;

function storeImage(rt: ShopeeRuntime, partnerId: number, file: Buffer, scene: string) {
  if (file.length > MAX_IMAGE_BYTES)
    throw shopeeErrors.param('Wrong parameters, detail: image size should not exceed 10MB.');
  const contentType = imageType(file);
  if (!contentType)
    throw shopeeErrors.param('Wrong parameters, detail: image format should be JPG, JPEG or PNG.');
  const imageId = `id-11134207-${rt.ctx.random.token(5)}-${rt.ctx.random.token(14)}`;
  rt.store.images.set(imageId, { imageId, partnerId, bytes: file.length, contentType, scene });
  rt.store.imageBytes.set(imageId, file);
  return {
    image_id: imageId,
    image_url_list: [{ image_url_region: 'ID', image_url: imageUrl(rt, imageId) }],
  };
}

async function uploadImage(rt: ShopeeRuntime, { request, partner }: PublicCall) {
  // Files only: Shopee does not fetch image URLs, so a JSON body or a text field is refused.
  if (!request.isMultipart())
    throw shopeeErrors.param(
      'Wrong parameters, detail: image is required as a multipart file; URLs are not accepted.',
    );
  const files: Buffer[] = [];
  let scene = 'normal';
  for await (const part of readParts(request)) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer();
      if (part.fieldname === 'image') files.push(bytes);
    } else if (part.fieldname === 'scene' && typeof part.value === 'string') {
      scene = part.value;
    } else if (part.fieldname === 'image') {
      throw shopeeErrors.param('Wrong parameters, detail: image must be a file; URLs are not accepted.');
    }
  }
  if (files.length === 0) throw shopeeErrors.required('image');
  if (files.length > MAX_FILES)
    throw shopeeErrors.param(`Wrong parameters, detail: image number should be less than ${MAX_FILES + 1}.`);
  if (scene !== 'normal' && scene !== 'desc')
    throw shopeeErrors.param('Wrong parameters, detail: scene should be normal or desc.');
  const [first, ...rest] = files;
  // A single image answers with a request error; several answer per image in image_info_list.
  if (rest.length === 0 && first) {
    const info = storeImage(rt, partner.partnerId, first, scene);
    return { image_info: info, image_info_list: [{ id: 0, error: '', message: '', image_info: info }] };
  }
  const list = files.map((file, id) => {
    try {
      return { id, error: '', message: '', image_info: storeImage(rt, partner.partnerId, file, scene) };
    } catch (err) {
      const e = err instanceof ShopeeError ? err : shopeeErrors.server();
      return { id, error: e.code, message: e.message, image_info: { image_id: '', image_url_list: [] } };
    }
  });
  const ok = list.find((entry) => entry.error === '');
  return { image_info: ok?.image_info ?? { image_id: '', image_url_list: [] }, image_info_list: list };
}

export function registerMediaRoutes(app: FastifyInstance, rt: ShopeeRuntime): void {
  // v2.media_space.upload_image — signed as a Shop API when access_token is present, as a Public API
  // otherwise (clients in the wild do both).
  publicOrShopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/media_space/upload_image',
    handler: (call) => uploadImage(rt, call),
  });

  // Uploaded images are served back like the CDN would (`/file/<image_id>`), unsigned.
  app.get<{ Params: { imageId: string } }>('/file/:imageId', async (request, reply) => {
    const bytes = rt.store.imageBytes.get(request.params.imageId);
    const image = rt.store.images.get(request.params.imageId);
    if (!bytes || !image) return reply.code(404).send();
    return reply.type(image.contentType).send(bytes);
  });
}
