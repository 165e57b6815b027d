import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths that must never reach a log line: credentials, tokens and secrets, wherever they appear
 * in request logs or in objects passed to the logger.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-tts-access-token"]',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.secret',
  '*.partnerKey',
  '*.appSecret',
  '*.app_secret',
  '*.apiKey',
  '*.apiSecret',
  '*.sign',
  '*.secretsSealed',
  '*.headers["x-tts-access-token"]',
  '*.headers.authorization',
];

/**
 * Query parameters that carry credentials: Shopee puts `access_token` and `sign` in the query string,
 * TikTok Shop's token service `app_secret`, and OAuth callbacks a single-use `code` and our `state`.
 */
const SENSITIVE_QUERY =
  /([?&](?:access_token|refresh_token|sign|code|auth_code|state|app_secret|api_key)=)[^&#]*/gi;

/** A URL with the values of credential-bearing query parameters replaced. */
export function redactUrl(url: string): string {
  return url.replace(SENSITIVE_QUERY, '$1[redacted]');
}

interface LoggedRequest {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

export function loggerOptions(level: string, name: string): LoggerOptions {
  return {
    level,
    name,
    redact: { paths: redactPaths, censor: '[redacted]' },
    // Fastify's request serializer, with credential query values masked.
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.hostname,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level, name), destination) : pino(loggerOptions(level, name));
}

export type { DestinationStream, Logger };
