import { describe, expect, it } from 'vitest';
import { signRequest, signWebhook, stringToSign } from '../../../sandbox/tiktok-shop/signing.js';
import { documentedSign, documentedWebhookSign } from './client.js';
import { T1_SIGN, T2_QUERY, T2_SIGN, T3_BODY, T3_SIGN, T4_BODY, T4_SIGN } from './vectors.js';

// Golden vectors from reference §2.3 (T1–T3 official / SDK test values, T4 computed) and §2.7.

describe('TikTok Shop request signing', () => {
  it('T1: GET /authorization/202309/shops', () => {
    const input = {
      appSecret: 'e59af819cc',
      path: '/authorization/202309/shops',
      query: { app_key: '29a39d', timestamp: '1623812664' },
    };
    expect(stringToSign(input)).toBe(
      'e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc',
    );
    expect(signRequest(input)).toBe(T1_SIGN);
  });

  it('T2: GET /event/202309/webhooks with shop_cipher, sign and access_token excluded', () => {
    const query = { ...T2_QUERY, sign: 'ignored', access_token: 'ignored' };
    expect(signRequest({ appSecret: 'e59af819cc', path: '/event/202309/webhooks', query })).toBe(T2_SIGN);
  });

  it('T3: PUT with raw body; T4 (same JSON, other byte order) signs differently', () => {
    const t3 = signRequest({
      appSecret: 'e59af819cc',
      path: '/event/202309/webhooks',
      query: T2_QUERY,
      rawBody: T3_BODY,
    });
    const t4 = signRequest({
      appSecret: 'e59af819cc',
      path: '/event/202309/webhooks',
      query: T2_QUERY,
      rawBody: T4_BODY,
    });
    expect(t3).toBe(T3_SIGN);
    expect(t4).toBe(T4_SIGN);
  });

  it('the independent test client agrees with the vectors', () => {
    expect(documentedSign('e59af819cc', '/event/202309/webhooks', T2_QUERY, T3_BODY)).toBe(T3_SIGN);
  });

  it('webhook Authorization vector (reference §2.7)', () => {
    const body =
      '{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"order_id":"576486316948490001","order_status":"UNPAID","is_on_hold_order":false,"update_time":1644412885}}';
    const expected = '06df0a3bb1cbfd036bb92b7ed2b3783a4a5dab99829bd58ac49815b67d92c2dc';
    expect(signWebhook('68xu9ks5p4i8', 'e59af819cc', body)).toBe(expected);
    expect(documentedWebhookSign('68xu9ks5p4i8', 'e59af819cc', body)).toBe(expected);
  });
});
