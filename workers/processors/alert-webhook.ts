/**
 * One delivery of an alert event to the outbound webhook. Thin: it reads the alert's current row and
 * sends it (src/services/alert-webhook.ts). A retryable failure is rethrown for BullMQ's backoff
 * (`alertWebhookBackoffMs`); a refusal (4xx other than 408/429) ends the job at once.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { AlertWebhookConfig } from '../../src/config/env.js';
import type { Database } from '../../src/db/client.js';
import { ALERT_WEBHOOK_BACKOFF, alertWebhookJob } from '../../src/queues/definitions.js';
import {
  AlertWebhookRefusedError,
  alertWebhookBackoffMs,
  deliverAlertWebhook,
} from '../../src/services/alert-webhook.js';

/** The worker settings of the alert-webhooks queue: its custom backoff (ALERT_WEBHOOK_RETRY_BASE_MS). */
export function alertWebhookWorkerSettings(config: AlertWebhookConfig | undefined) {
  return {
    backoffStrategy: (attemptsMade: number, type?: string) =>
      type === ALERT_WEBHOOK_BACKOFF ? alertWebhookBackoffMs(config?.retryBaseMs ?? 10_000, attemptsMade) : 0,
  };
}

import { loadAlert } from '../../src/services/alerts.js';

export type AlertWebhookOutcome = 'delivered' | 'not_configured' | 'alert_gone';

export async function processAlertWebhook(
  deps: { db: Database; config: AlertWebhookConfig | undefined },
  job: Job,
): Promise<{ outcome: AlertWebhookOutcome; status?: number }> {
  const { alertId, event } = alertWebhookJob.parse(job.data);
  if (!deps.config) return { outcome: 'not_configured' };
  const alert = await loadAlert(deps.db, alertId);
  if (!alert) return { outcome: 'alert_gone' };
  try {
    const { status } = await deliverAlertWebhook(deps.config, alert, event);
    return { outcome: 'delivered', status };
  } catch (err) {
    if (err instanceof AlertWebhookRefusedError) throw new UnrecoverableError(err.message);
    throw err;
  }
}
