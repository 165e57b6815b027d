import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MalformedBodyError } from '../../lib/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes strictly: invalid UTF-8 is a 400, never silently replaced with U+FFFD. */
export function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new MalformedBodyError('The request body is not valid UTF-8.', {
      detailId: 'Isi permintaan bukan teks UTF-8 yang valid.',
    });
  }
}

/**
 * Body parsers: JSON (strict UTF-8, then Fastify's prototype-poisoning-safe parser) and CSV text.
 * Any other content type is answered 415 by Fastify.
 */
export const contentParsersPlugin = fp(
  async (app: FastifyInstance) => {
    const jsonParser = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer' },
      (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
        let text: string;
        try {
          text = decodeUtf8(body);
        } catch (err) {
          done(err as Error);
          return;
        }
        jsonParser(request, text, done);
      },
    );
    app.addContentTypeParser(
      'text/csv',
      { parseAs: 'buffer' },
      (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
        try {
          done(null, decodeUtf8(body));
        } catch (err) {
          done(err as Error);
        }
      },
    );
  },
  { name: 'content-parsers' },
);
