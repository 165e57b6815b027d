/**
 * Shop webhook configuration (reference §2.7): per (app, shop) addresses by event type, which take
 * precedence over the app-level webhook URL set through the control API.
 */
import { z } from 'zod';
import { type Endpoint, type EndpointCall, parseOrThrow } from '../gateway.js';
import { WEBHOOK_EVENT_TYPES } from '../runtime.js';

const eventType = z.enum(Object.keys(WEBHOOK_EVENT_TYPES) as [string, ...string[]]);

function key(call: EndpointCall): string {
  return `${call.app.appKey}|${call.shop?.id ?? ''}`;
}

export const eventEndpoints: Endpoint[] = [
  // event/202309/webhooks (Get Shop Webhooks)
  {
    method: 'GET',
    module: 'event',
    pattern: 'webhooks',
    name: 'Get Shop Webhooks',
    shopCipher: 'required',
    handle: (call) => {
      const addresses = call.rt.state.shopWebhooks[key(call)] ?? {};
      const webhooks = Object.entries(addresses).map(([event_type, address]) => ({
        event_type,
        address,
        create_time: 0,
      }));
      return { webhooks, total_count: webhooks.length };
    },
  },
  // event/202309/webhooks (Update Shop Webhook)
  {
    method: 'PUT',
    module: 'event',
    pattern: 'webhooks',
    name: 'Update Shop Webhook',
    shopCipher: 'required',
    handle: (call) => {
      const input = parseOrThrow(z.object({ event_type: eventType, address: z.url().max(255) }), call.body);
      const addresses = call.rt.state.shopWebhooks[key(call)] ?? {};
      addresses[input.event_type] = input.address;
      call.rt.state.shopWebhooks[key(call)] = addresses;
      return {};
    },
  },
  // event/202309/webhooks (Delete Shop Webhook): DELETE with a JSON body
  {
    method: 'DELETE',
    module: 'event',
    pattern: 'webhooks',
    name: 'Delete Shop Webhook',
    shopCipher: 'required',
    handle: (call) => {
      const input = parseOrThrow(z.object({ event_type: eventType }), call.body);
      delete call.rt.state.shopWebhooks[key(call)]?.[input.event_type];
      return {};
    },
  },
];
