import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { annotateCall, callAnnotation, platformErrorCode } from './call-log.js';
import type { CallLogEntry, PlatformModule, SandboxContext } from './contract.js';
import { clientInputError } from './errors.js';
import { timeoutHoldMs } from './faults.js';

/** Platform path of a request: the URL without the platform prefix and without the query string. */
export function platformPath(url: string, prefix: string): string {
  const query = url.indexOf('?');
  return url.slice(prefix.length, query < 0 ? undefined : query) || '/';
}

interface CallState {
  startedAt: number;
  endpoint: string;
  fault?: 'error' | 'throttle';
  faultErrorCode?: string;
}

/**
 * Mounts one platform as an encapsulated plugin under its prefix, with the core's hooks in front of its
 * routes: the call log (every call, whatever answered it), injected faults (latency first, then
 * error / timeout / throttle), which answer with the platform's own 5xx and throttle bodies, and an
 * error handler that answers unreadable input with the platform's own parameter error.
 */
export async function mountPlatform(
  app: FastifyInstance,
  platform: PlatformModule,
  ctx: SandboxContext,
): Promise<() => void> {
  const calls = new WeakMap<FastifyRequest, CallState>();
  const held = new Set<{ timer: NodeJS.Timeout; raw: ServerResponse }>();

  const record = (
    request: FastifyRequest,
    state: CallState,
    entry: Pick<CallLogEntry, 'status'> & Partial<CallLogEntry>,
  ): void => {
    const note = callAnnotation(request);
    const errorCode =
      entry.errorCode ??
      note?.errorCode ??
      state.faultErrorCode ??
      (entry.status >= 400 ? `http_${entry.status}` : '');
    const full: CallLogEntry = {
      at: ctx.clock.nowMs(),
      platform: platform.name,
      method: request.method,
      endpoint: state.endpoint,
      status: entry.status,
      errorCode,
      durationMs: Math.round((performance.now() - state.startedAt) * 100) / 100,
    };
    if (note?.shopId !== undefined) full.shopId = note.shopId;
    const throttled = note?.throttled ?? state.fault === 'throttle';
    if (throttled) full.throttled = true;
    if (entry.fault !== undefined) full.fault = entry.fault;
    else if (state.fault !== undefined) full.fault = state.fault;
    ctx.callLog.record(full);
  };

  await app.register(
    async (instance) => {
      instance.addHook('onRequest', (request, reply, done) => {
        const state: CallState = {
          startedAt: performance.now(),
          endpoint: platformPath(request.url, platform.prefix),
        };
        calls.set(request, state);
        const decision = ctx.faults.decide(platform.name, state.endpoint);
        // The common case (no fault, no latency) stays synchronous: this hook runs on every platform call.
        if (decision.kind === 'none' && decision.latencyMs === 0) return done();
        sleep(decision.latencyMs).then(() => {
          if (decision.kind === 'none') return done();
          if (decision.kind === 'timeout') {
            // Never answer: hold the socket until the client gives up or the hold time passes.
            reply.hijack();
            record(request, state, { status: 0, errorCode: 'timeout', fault: 'timeout' });
            const entry = {
              raw: reply.raw,
              timer: setTimeout(
                () => {
                  held.delete(entry);
                  reply.raw.destroy();
                },
                timeoutHoldMs(ctx.faults.list(), platform.name, state.endpoint),
              ),
            };
            held.add(entry);
            reply.raw.on('close', () => {
              clearTimeout(entry.timer);
              held.delete(entry);
            });
            return;
          }
          const answer =
            decision.kind === 'error' ? platform.serverErrorResponse() : platform.throttleResponse();
          state.fault = decision.kind;
          state.faultErrorCode = platformErrorCode(answer.body);
          if ('headers' in answer && answer.headers) reply.headers(answer.headers);
          reply.code(answer.status).send(answer.body);
        }, done);
      });
      instance.addHook('onResponse', (request, reply, done) => {
        const state = calls.get(request);
        if (state) record(request, state, { status: reply.statusCode });
        done();
      });
      // Last line of defence, below the platform's own handlers (the platform registers in a child
      // so it may set its own): unreadable input becomes the platform's parameter error; anything
      // else is a sandbox bug, logged and answered 500 in the platform's error body so it stays visible.
      instance.setErrorHandler((error, request, reply) => {
        const message = clientInputError(error);
        const answer =
          message === undefined ? platform.serverErrorResponse() : platform.badRequestResponse(message);
        if (message === undefined)
          request.log.error({ err: error }, `${platform.name} sandbox handler failed`);
        annotateCall(request, { errorCode: platformErrorCode(answer.body) });
        return reply.code(message === undefined ? 500 : answer.status).send(answer.body);
      });
      await instance.register(async (child) => platform.register(child));
    },
    { prefix: platform.prefix },
  );

  return () => {
    for (const entry of held) {
      clearTimeout(entry.timer);
      entry.raw.destroy();
    }
    held.clear();
  };
}
