import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';

/** A multipart body the parser could not read: the client's fault, answered as a parameter error. */
export class MalformedMultipartError extends Error {
  readonly statusCode = 400;
  readonly code = 'SANDBOX_MALFORMED_MULTIPART';

  constructor(cause: unknown) {
    super(`malformed multipart body: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MalformedMultipartError';
  }
}

/**
 * Errors raised while reading the client's multipart stream. The parser marks its limit errors with a
 * 4xx `statusCode` (file too large, too many parts), which pass through so platforms can tell them
 * apart; the stream errors of busboy underneath ("Unexpected end of multipart data", "Boundary not
 * found") carry none and would otherwise look like sandbox bugs.
 */
function asClientError(error: unknown): unknown {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500
    ? error
    : new MalformedMultipartError(error);
}

/**
 * `request.parts()` whose reading errors (of the iterator and of each file's `toBuffer`) are client
 * errors; errors the caller throws while handling a part are left alone.
 */
export async function* readParts(request: FastifyRequest): AsyncGenerator<Multipart> {
  let iterator: AsyncIterator<Multipart>;
  try {
    iterator = request.parts()[Symbol.asyncIterator]();
  } catch (error) {
    throw asClientError(error);
  }
  for (;;) {
    let next: IteratorResult<Multipart>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw asClientError(error);
    }
    if (next.done) return;
    const part = next.value;
    if (part.type === 'file') {
      const toBuffer = part.toBuffer.bind(part);
      part.toBuffer = () =>
        toBuffer().catch((error: unknown) => {
          throw asClientError(error);
        });
    }
    yield part;
  }
}
