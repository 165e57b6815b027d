/**
 * Input a platform cannot even read (a malformed body, a wrong content type, a broken multipart
 * stream, a body over the limit) is the client's fault, and every platform answers it with its own
 * parameter error, never a 5xx. Fastify and its plugins mark such errors with a 4xx `statusCode`.
 */

/** Message of an error Fastify or one of its plugins raised for bad client input; undefined otherwise. */
export function clientInputError(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, message } = error as { statusCode?: unknown; message?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return undefined;
  return typeof message === 'string' && message !== '' ? message : 'the request could not be read';
}
