import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { publicApi } from '../api.js';
import { shopeeErrors } from '../errors.js';
import { isLostPush } from '../push.js';
import type { ShopeeRuntime } from '../runtime.js';
import { parseInput } from '../validation.js';

const PAGE = 100;

const confirmBody = z.object({ last_message_id: z.number().int().min(0) });
const pushConfigBody = z.object({
  callback_url: z.string().optional(),
  set_push_config_on: z.array(z.number().int()).optional(),
  set_push_config_off: z.array(z.number().int()).optional(),
  blocked_shop_id_list: z.array(z.number().int()).max(500).optional(),
});

export function registerPushRoutes(app: FastifyInstance, rt: ShopeeRuntime): void {
  const lostOf = (partnerId: number) => {
    const since = rt.nowSeconds() - rt.config.lostPushRetentionSeconds;
    return rt.store.pushes.filter(
      (p) => p.partnerId === partnerId && p.timestamp >= since && isLostPush(rt, p),
    );
  };

  // v2.push.get_lost_push_message — the earliest 100 unacknowledged pushes of the last 3 days.
  publicApi(rt, app, {
    method: 'GET',
    path: '/api/v2/push/get_lost_push_message',
    handler: ({ partner }) => {
      const lost = lostOf(partner.partnerId);
      const page = lost.slice(0, PAGE);
      return {
        // `data` is typed string but its sample is the whole push (`{"data":{..},"shop_id","code",
        // "timestamp"}`): the sandbox sends that whole push, as a JSON string (docs/sandbox.md).
        push_message_list: page.map((p) => ({
          shop_id: p.shopId,
          code: p.code,
          timestamp: p.timestamp,
          data: p.body,
        })),
        has_next_page: lost.length > PAGE,
        last_message_id: page.at(-1)?.messageId ?? 0,
      };
    },
  });

  // v2.push.confirm_consumed_lost_push_message — everything up to last_message_id is consumed.
  publicApi(rt, app, {
    method: 'POST',
    path: '/api/v2/push/confirm_consumed_lost_push_message',
    handler: ({ body, partner }) => {
      const input = parseInput(confirmBody, body);
      const lost = lostOf(partner.partnerId);
      if (input.last_message_id > 0 && !lost.some((p) => p.messageId === input.last_message_id)) {
        throw shopeeErrors.param('Wrong parameters, detail: last_message_id is invalid.');
      }
      for (const message of lost) if (message.messageId <= input.last_message_id) message.consumed = true;
      return {};
    },
  });

  // v2.push.set_app_push_config — callback URL and which push codes are on.
  publicApi(rt, app, {
    method: 'POST',
    path: '/api/v2/push/set_app_push_config',
    handler: ({ body, partner }) => {
      const input = parseInput(pushConfigBody, body);
      if (input.callback_url !== undefined) {
        if (input.callback_url !== '' && !/^https?:\/\//.test(input.callback_url))
          throw shopeeErrors.param('Wrong parameters, detail: callback_url is invalid.');
        if (input.callback_url === '') delete partner.pushCallbackUrl;
        else partner.pushCallbackUrl = input.callback_url;
      }
      const codes = new Set(partner.pushCodes);
      for (const code of input.set_push_config_on ?? []) codes.add(code);
      for (const code of input.set_push_config_off ?? []) codes.delete(code);
      partner.pushCodes = [...codes].sort((a, b) => a - b);
      return { result: 'success' };
    },
  });

  // v2.push.get_app_push_config
  publicApi(rt, app, {
    method: 'GET',
    path: '/api/v2/push/get_app_push_config',
    handler: ({ partner }) => ({
      callback_url: partner.pushCallbackUrl ?? '',
      live_push_status: partner.pushCallbackUrl === undefined ? 'Not Configured' : 'Normal',
      suspended_time: 0,
      push_config_on_list: partner.pushCodes,
      push_config_off_list: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15].filter(
        (c) => !partner.pushCodes.includes(c),
      ),
      blocked_shop_id: [],
    }),
  });
}
