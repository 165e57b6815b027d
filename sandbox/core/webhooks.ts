import type { OutboundWebhook, SandboxClock, WebhookDeliveryRecord, WebhookSender } from './contract.js';

type AckPolicy = { retryDelaysMs: number[]; isAck: (status: number, body: string) => boolean };

interface Delivery {
  record: WebhookDeliveryRecord;
  policy: AckPolicy;
  inFlight: boolean;
}

export interface WebhookSenderOptions {
  /** Real-time timeout of one POST. */
  timeoutMs?: number;
  /** How often (real time) due retries are looked for besides clock changes. */
  pollMs?: number;
  /** Settled deliveries kept for inspection; the oldest are forgotten beyond this (pending ones never). */
  capacity?: number;
}

export interface ManagedWebhookSender extends WebhookSender {
  /** Attempts every pending delivery whose sandbox-clock due time has passed. */
  runDue(): Promise<void>;
  /** Stops the timer and waits for attempts in flight. */
  close(): Promise<void>;
}

/**
 * POSTs platform-signed webhooks. The platform builds headers and body; the sender never re-serialises
 * them. Retries follow the platform's schedule in sandbox-clock time: advancing the clock past a due
 * time fires the retry, and a real-time timer fires retries that come due on their own.
 */
export function createWebhookSender(
  clock: SandboxClock,
  options: WebhookSenderOptions = {},
): ManagedWebhookSender {
  const timeoutMs = options.timeoutMs ?? 3_000;
  let deliveries = new Map<string, Delivery>();
  const inFlight = new Set<Promise<void>>();
  let sequence = 0;

  const attempt = async (delivery: Delivery): Promise<void> => {
    if (delivery.inFlight || delivery.record.state !== 'pending') return;
    delivery.inFlight = true;
    const { record, policy } = delivery;
    const at = clock.nowMs();
    let status: number | null = null;
    let error: string | undefined;
    let acknowledged = false;
    try {
      const response = await fetch(record.url, {
        method: 'POST',
        headers: record.headers,
        body: record.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      const text = await response.text();
      acknowledged = policy.isAck(response.status, text);
      if (!acknowledged)
        error = text === '' ? `HTTP ${response.status}` : `HTTP ${response.status}: ${text.slice(0, 200)}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    record.attempts.push(error === undefined ? { at, status } : { at, status, error });
    const retryIndex = record.attempts.length - 1;
    if (acknowledged) {
      record.state = 'delivered';
      delete record.nextAttemptAt;
    } else if (retryIndex < policy.retryDelaysMs.length) {
      record.nextAttemptAt = clock.nowMs() + (policy.retryDelaysMs[retryIndex] ?? 0);
    } else {
      record.state = 'dropped';
      delete record.nextAttemptAt;
    }
    delivery.inFlight = false;
  };

  const capacity = options.capacity ?? 20_000;
  const forgetOldest = (): void => {
    let excess = deliveries.size - capacity;
    for (const [id, d] of deliveries) {
      if (excess <= 0) break;
      if (d.record.state !== 'pending') {
        deliveries.delete(id);
        excess -= 1;
      }
    }
  };

  const track = (promise: Promise<void>): Promise<void> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };

  const runDue = async (): Promise<void> => {
    const now = clock.nowMs();
    const due = [...deliveries.values()].filter(
      (d) => d.record.state === 'pending' && !d.inFlight && (d.record.nextAttemptAt ?? 0) <= now,
    );
    await Promise.all(due.map((d) => track(attempt(d))));
  };

  clock.onChange(() => {
    void runDue();
  });
  const timer = setInterval(() => void runDue(), options.pollMs ?? 1_000);
  timer.unref();

  return {
    async send(hook: OutboundWebhook, policy) {
      sequence += 1;
      const record: WebhookDeliveryRecord = {
        ...hook,
        headers: { ...hook.headers },
        id: `wh_${sequence}`,
        attempts: [],
        state: 'pending',
        nextAttemptAt: clock.nowMs(),
      };
      const delivery: Delivery = { record, policy, inFlight: false };
      deliveries.set(record.id, delivery);
      if (deliveries.size > capacity * 1.1) forgetOldest();
      await track(attempt(delivery));
      return record;
    },
    list: (platform) =>
      [...deliveries.values()]
        .map((d) => d.record)
        .filter((r) => platform === undefined || r.platform === platform),
    get: (id) => deliveries.get(id)?.record,
    clear() {
      deliveries = new Map();
    },
    runDue,
    async close() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
