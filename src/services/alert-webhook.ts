/**
 * The optional outbound alert webhook: each alert opened or resolved is POSTed to ALERT_WEBHOOK_URL
 * as JSON, signed so the receiver can tell it came from us and is fresh.
 *
 * Scheme (documented in README "Alerts" for receivers):
 * - `X-Kriya-Timestamp`: Unix seconds when this attempt was sent;
 * - `X-Kriya-Signature`: `v1=` + hex HMAC-SHA256, keyed with ALERT_WEBHOOK_SECRET, of
 *   `<timestamp>.<raw body>` (the timestamp header, a dot, then the exact bytes of the body);
 * - `X-Kriya-Delivery`: the same id on every retry of one event (`alert:<id>:<event>`), for the
 *   receiver to drop duplicates;
 * - `X-Kriya-Event`: `alert.opened` or `alert.resolved`.
 *
 * Binding the timestamp into the signature lets a receiver refuse replays older than a few minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import axios from 'axios';
import type { AlertWebhookConfig } from '../config/env.js';
import type { AlertView } from './alerts.js';

export const SIGNATURE_HEADER = 'x-kriya-signature';
export const TIMESTAMP_HEADER = 'x-kriya-timestamp';
export const DELIVERY_HEADER = 'x-kriya-delivery';
export const EVENT_HEADER = 'x-kriya-event';

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function signAlertWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (and what our tests do): recompute the signature over the raw body, compare
 * in constant time, and refuse a timestamp outside the tolerance.
 */
export function verifyAlertWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signAlertWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export type AlertEvent = 'opened' | 'resolved';

/** The JSON body of a delivery: the event and the alert as the API shows it. */
export function alertWebhookBody(alert: AlertView, event: AlertEvent): string {
  return JSON.stringify({
    delivery: deliveryId(alert.id, event),
    event: `alert.${event}`,
    alert: {
      id: alert.id,
      kind: alert.kind,
      crafterId: alert.crafterId,
      dedupeKey: alert.dedupeKey,
      message: alert.message,
      subject: alert.subject,
      count: alert.count,
      openedAt: alert.openedAt.toISOString(),
      lastSeenAt: alert.lastSeenAt.toISOString(),
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
    },
  });
}

export function deliveryId(alertId: number, event: AlertEvent): string {
  return `alert:${alertId}:${event}`;
}

/** A delivery the receiver refused in a way a retry will not change (4xx other than 408/429). */
export class AlertWebhookRefusedError extends Error {
  constructor(readonly status: number) {
    super(`the alert webhook receiver refused the delivery with HTTP ${status}`);
    this.name = 'AlertWebhookRefusedError';
  }
}

/** A delivery worth retrying: network failure, timeout, 5xx, 408 or 429. */
export class AlertWebhookRetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertWebhookRetryableError';
  }
}

/** Sends one signed delivery. Resolves on 2xx; throws one of the two errors above otherwise. */
export async function deliverAlertWebhook(
  config: AlertWebhookConfig,
  alert: AlertView,
  event: AlertEvent,
  nowMs = Date.now(),
): Promise<{ status: number }> {
  const body = alertWebhookBody(alert, event);
  const timestamp = Math.floor(nowMs / 1000);
  let status: number;
  try {
    const response = await axios.post(config.url, body, {
      timeout: config.timeoutMs,
      maxRedirects: 0,
      validateStatus: () => true,
      // The body is sent exactly as signed: no re-serialisation by axios.
      transformRequest: [(data: string) => data],
      responseType: 'text',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'kriya-sync',
        [SIGNATURE_HEADER]: signAlertWebhook(config.secret, timestamp, body),
        [TIMESTAMP_HEADER]: String(timestamp),
        [DELIVERY_HEADER]: deliveryId(alert.id, event),
        [EVENT_HEADER]: `alert.${event}`,
      },
    });
    status = response.status;
  } catch (err) {
    throw new AlertWebhookRetryableError(
      `the alert webhook receiver did not answer: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (status >= 200 && status < 300) return { status };
  if (status >= 400 && status < 500 && status !== 408 && status !== 429)
    throw new AlertWebhookRefusedError(status);
  throw new AlertWebhookRetryableError(`the alert webhook receiver answered HTTP ${status}`);
}

/** Delay before retry number `attemptsMade`: the base doubling per attempt, at most an hour. */
export function alertWebhookBackoffMs(baseMs: number, attemptsMade: number): number {
  return Math.min(3_600_000, baseMs * 2 ** Math.max(0, attemptsMade - 1));
}
