/**
 * The contract between the sandbox core (server, clock, faults, rate limits, call log, webhooks,
 * control API) and each emulated platform module (shopee, tiktok-shop, partner-brand).
 *
 * A platform module owns its wire format completely: its routes are registered under its own
 * prefix (for example `/shopee`), below which the platform's real paths apply unchanged, so a
 * client written from the official documentation only changes its base URL. The core never
 * looks inside a platform's state; it calls the module's `control` hooks.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

export type PlatformName = 'shopee' | 'tiktok-shop' | 'partner-brand';

/** Sandbox time. All token expiry, timestamp windows, order times and webhook retry schedules read it. */
export interface SandboxClock {
  /** Current sandbox time in epoch milliseconds. */
  nowMs(): number;
  /** Current sandbox time in epoch seconds (floored). */
  nowSeconds(): number;
  /** Jump to an absolute time. */
  set(epochMs: number): void;
  /** Move forward (or backward with a negative value). Due webhook retries fire afterwards. */
  advance(ms: number): void;
  /** Listeners run after every set/advance (used by the webhook retry scheduler). */
  onChange(listener: () => void): void;
}

/** Deterministic pseudo-random numbers (seeded), so generated data and injected faults are reproducible. */
export interface SandboxRandom {
  /** Uniform in [0, 1). */
  next(): number;
  int(minInclusive: number, maxInclusive: number): number;
  pick<T>(items: readonly T[]): T;
  /** Digits-only id of the given length (first digit non-zero). */
  numericId(length: number): string;
  /** Lower-case alphanumeric token. */
  token(length: number): string;
}

/** A fault rule for one platform, optionally narrowed to one endpoint path (exact platform path, e.g. `/api/v2/product/add_item`). */
export interface FaultRule {
  platform: PlatformName;
  /** Exact platform path; omitted means every endpoint of the platform. */
  endpoint?: string;
  /** Added latency before the request is handled. */
  latencyMs?: number;
  /** Probability (0..1) of answering HTTP 5xx instead of handling the request. */
  errorRate?: number;
  /** Probability (0..1) of never answering (the socket is held until the client gives up or `timeoutHoldMs` passes). */
  timeoutRate?: number;
  /** Probability (0..1) of answering with the platform's own throttle response. */
  throttleRate?: number;
  /** How long a `timeout` fault holds the socket before destroying it (default 30 s, real time). */
  timeoutHoldMs?: number;
}

/**
 * The core applies faults in an `onRequest` hook of each platform's encapsulated instance, before the
 * platform's own routes run: latency first, then error / timeout / throttle by probability.
 */
/** What the fault layer decided for one request. */
export type FaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'error'; latencyMs: number }
  | { kind: 'timeout'; latencyMs: number }
  | { kind: 'throttle'; latencyMs: number };

export interface FaultInjector {
  set(rules: FaultRule[]): void;
  list(): FaultRule[];
  clear(): void;
  decide(platform: PlatformName, endpoint: string): FaultDecision;
}

/** Per-key rate limiter (fixed one-second windows of the real clock, not the sandbox clock). */
export interface RateLimiter {
  /** Returns true when the call is allowed; false when it must be answered with the platform's throttle response. */
  take(key: string, perSecond: number): boolean;
  reset(): void;
}

export interface CallLogEntry {
  at: number;
  platform: PlatformName;
  method: string;
  /** Platform path (prefix stripped), e.g. `/api/v2/product/add_item`. */
  endpoint: string;
  /** Shop the call acted for, when known. */
  shopId?: string;
  status: number;
  /** Platform error code in the body (`error_sign`, `106001`, ...), empty on success. */
  errorCode: string;
  durationMs: number;
  /** True when the call was answered with the platform's throttle response (real limit or injected). */
  throttled?: boolean;
  /** Set when an injected fault answered the call instead of the platform. */
  fault?: 'error' | 'timeout' | 'throttle';
}

export interface CallLog {
  record(entry: CallLogEntry): void;
  /** Newest last; optionally filtered. */
  list(filter?: {
    platform?: PlatformName;
    endpoint?: string;
    shopId?: string;
    limit?: number;
  }): CallLogEntry[];
  /** Counters keyed by `${platform} ${method} ${endpoint}` → { calls, errors, throttled }. */
  counters(): Record<string, { calls: number; errors: number; throttled: number }>;
  clear(): void;
}

export interface OutboundWebhook {
  platform: PlatformName;
  url: string;
  headers: Record<string, string>;
  /** Exact bytes that were signed. */
  body: string;
}

export interface WebhookDeliveryRecord extends OutboundWebhook {
  id: string;
  attempts: Array<{ at: number; status: number | null; error?: string }>;
  state: 'pending' | 'delivered' | 'dropped';
  /** Sandbox-clock epoch ms of the next attempt while pending. */
  nextAttemptAt?: number;
}

/**
 * Sends signed webhooks. `retryDelaysMs` is the platform's retry schedule in sandbox-clock time
 * (TikTok: 2 min, 30 min, 3 h, 12 h). A delivery counts as acknowledged when `isAck(status, body)`.
 */
export interface WebhookSender {
  send(
    hook: OutboundWebhook,
    policy: { retryDelaysMs: number[]; isAck: (status: number, body: string) => boolean },
  ): Promise<WebhookDeliveryRecord>;
  list(platform?: PlatformName): WebhookDeliveryRecord[];
  /** One delivery by id (platforms use it to tell acknowledged pushes from lost ones). */
  get(id: string): WebhookDeliveryRecord | undefined;
  clear(): void;
}

export interface SandboxContext {
  clock: SandboxClock;
  random: SandboxRandom;
  faults: FaultInjector;
  rateLimiter: RateLimiter;
  callLog: CallLog;
  webhooks: WebhookSender;
  /** Public base URL of the sandbox server, e.g. `http://127.0.0.1:4010` (known after listen). */
  baseUrl(): string;
}

/**
 * Control hooks each platform exposes to the generic control API under `/__sandbox/<platform>/...`.
 * Inputs arrive as unknown JSON and the module validates them (zod) and throws `ControlInputError`
 * on bad input, which the control API answers with 400.
 */
export interface PlatformControl {
  /** Create an app (partner) with credentials; returns what a client needs (ids, keys, secrets). */
  createApp(input: unknown): unknown;
  /** Create a shop (seller account) belonging to no app yet. */
  createShop(input: unknown): unknown;
  /** Authorize a shop for an app; returns the authorization code (and shop ids) a client exchanges. */
  authorizeShop(input: unknown): unknown;
  /** Generate orders: random with a seed (`{ seed, count, ... }`) or scripted (`{ orders: [...] }`). */
  generateOrders(input: unknown): unknown;
  /** Move an existing order through a status change (scripted), which also emits the platform webhook. */
  updateOrder(input: unknown): unknown;
  /** Current items and stock of a shop (canonical-looking JSON for assertions). */
  shopState(shopId: string): unknown;
  /** Platform-specific settings (limits, HTTP status of throttle answers, push URL, ...). */
  configure(input: unknown): unknown;
  /**
   * The platform's own sales figures per (shop, Asia/Jakarta day), by the definition in
   * sandbox/core/sales-totals.ts; `query` is `{ shopId?, from?, to? }` (Jakarta days, inclusive).
   */
  salesTotals(query: unknown): unknown;
  /**
   * Places one random order for the shop now, from its live items that still have stock (taking the
   * stock and sending the platform's webhooks as a real sale would); `null` when nothing can be sold.
   * Drives the demo trickle (`POST /__sandbox/trickle`).
   */
  placeRandomOrder(shopId: string, random: SandboxRandom): unknown;
  /** Drop all state of this platform. */
  reset(): void;
  /** JSON-serialisable state, for the optional state file. */
  snapshot(): unknown;
  restore(state: unknown): void;
}

export interface PlatformModule {
  name: PlatformName;
  /** URL prefix the platform's real paths are served below, e.g. `/shopee`. */
  prefix: string;
  /** Registers the platform's real API routes on an encapsulated Fastify instance already mounted at `prefix`. */
  register(app: FastifyInstance): Promise<void>;
  /**
   * The platform's own throttle answer (Shopee `error_rate_limit`, TikTok HTTP 429 + `36009002`,
   * partner brand 429). The core uses it for injected throttles; the module uses it for its real
   * per-shop rate limits (which it enforces itself through `ctx.rateLimiter`, because only the module
   * knows how a request names its shop).
   */
  throttleResponse(): { status: number; body: unknown; headers?: Record<string, string> };
  /** The platform's answer for an injected 5xx. */
  serverErrorResponse(): { status: number; body: unknown };
  /**
   * The platform's answer for a request it cannot even read (malformed body, wrong content type,
   * broken multipart, body too large): Shopee `error_param`, TikTok HTTP 200 + `36009004`, partner
   * brand 400 `validation_failed`. The core's error handler uses it so such input never becomes a 5xx.
   */
  badRequestResponse(message: string): { status: number; body: unknown };
  /**
   * The API operations a platform serves behind one dispatcher route (TikTok Shop routes every call
   * through `/*`), which Fastify's route table cannot show. Concrete paths with `{name}` placeholders.
   */
  operations?(): ReadonlyArray<{ method: string; path: string }>;
  control: PlatformControl;
}

export type PlatformFactory = (ctx: SandboxContext) => PlatformModule;

export class ControlInputError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ControlInputError';
  }
}

export type { FastifyReply, FastifyRequest };

/** Validates control-API input; every problem is named in one `ControlInputError` (→ 400). */
export function parseControlInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const message = result.error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  throw new ControlInputError(message, result.error.issues);
}
