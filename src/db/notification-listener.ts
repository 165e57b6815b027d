/**
 * LISTEN on one Postgres channel over a connection of its own, and say when it is up and when it
 * went down: a process that acts on notifications must know when it may have missed some, so it can
 * fall back to polling (and catch up once LISTEN is back). Postgres down at start or later is not
 * fatal: LISTEN is retried every `retryMs`.
 */
import postgres from 'postgres';

export interface NotificationListenerOptions {
  /** Called for each notification on the channel (after the notifying transaction committed). */
  onNotify: (payload: string) => void;
  /** Called each time LISTEN succeeds, the first time included: notifications may have been missed. */
  onListening?: () => void;
  /** Called each time the connection closes (listening or not): from now on notifications may be missed. */
  onClosed?: () => void;
  onError?: (err: unknown) => void;
  /** Wait between attempts to LISTEN again. */
  retryMs?: number;
}

export interface NotificationListener {
  /** True while notifications arrive; false while they may be missed. */
  isListening(): boolean;
  /** Settles once the first attempt to LISTEN is over, whether it succeeded or not (never rejects). */
  started: Promise<void>;
  stop(): Promise<void>;
}

export function listenForNotifications(
  databaseUrl: string,
  channel: string,
  options: NotificationListenerOptions,
): NotificationListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
  const retryMs = options.retryMs ?? 5_000;
  let listening = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  // Not `sql.listen()`: postgres.js re-listens after a drop by itself but tells nobody that the
  // connection was lost; `onnotify` is the (untyped) option its own listen() is built on.
  const connectionOptions: postgres.Options<Record<string, never>> & {
    onnotify: (channel: string, payload: string) => void;
  } = {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    connect_timeout: 10,
    onnotice: () => {},
    onnotify: (from, payload) => {
      if (from === channel) options.onNotify(payload);
    },
    onclose: () => {
      const was = listening;
      listening = false;
      options.onClosed?.();
      if (stopped) return;
      if (was) options.onError?.(new Error(`the LISTEN connection (${channel}) was closed`));
      scheduleListen();
    },
  };
  const connection = postgres(databaseUrl, connectionOptions);

  const listen = async (): Promise<void> => {
    if (stopped) return;
    try {
      await connection.unsafe(`listen ${channel}`);
      if (stopped) return;
      listening = true;
      options.onListening?.();
    } catch (err) {
      options.onError?.(err);
      scheduleListen();
    }
  };
  const scheduleListen = (): void => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void listen();
    }, retryMs);
    retryTimer.unref();
  };
  const started = listen();

  return {
    isListening: () => listening,
    started,
    async stop() {
      stopped = true;
      listening = false;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      await connection.end({ timeout: 0 });
    },
  };
}
