import { describe, expect, it } from 'vitest';
import { signRequest, signWebhook, stringToSign } from '../../../sandbox/tiktok-shop/signing.js';
import { documentedSign, documentedWebhookSign } from './client.js';

// Golden vectors from reference §2.3 (T1–T3 official / SDK test values, T4 computed) and §2.7.
const T2_QUERY = {
  app_key: '68xu9ks5p4i8',
  shop_cipher: 'ROW_xkMbgAAAeVAQra0eZWebFQq5aIK',
  timestamp: '1696909648',
};
const T3_BODY = '{"event_type":"PACKAGE_UPDATE","address":"https://partner.tiktokshop.com"}';
const T4_BODY = '{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}';

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
    expect(signRequest(input)).toBe('b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8');
  });

  it('T2: GET /event/202309/webhooks with shop_cipher, sign and access_token excluded', () => {
    const query = { ...T2_QUERY, sign: 'ignored', access_token: 'ignored' };
    expect(signRequest({ appSecret: 'e59af819cc', path: '/event/202309/webhooks', query })).toBe(
      'ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37',
    );
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
    expect(t3).toBe('701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7');
    expect(t4).toBe('cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a');
  });

  it('the independent test client agrees with the vectors', () => {
    expect(documentedSign('e59af819cc', '/event/202309/webhooks', T2_QUERY, T3_BODY)).toBe(
      '701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7',
    );
  });

  it('webhook Authorization vector (reference §2.7)', () => {
    const body =
      '{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"order_id":"576486316948490001","order_status":"UNPAID","is_on_hold_order":false,"update_time":1644412885}}';
    const expected = '06df0a3bb1cbfd036bb92b7ed2b3783a4a5dab99829bd58ac49815b67d92c2dc';
    expect(signWebhook('68xu9ks5p4i8', 'e59af819cc', body)).toBe(expected);
    expect(documentedWebhookSign('68xu9ks5p4i8', 'e59af819cc', body)).toBe(expected);
  });
});
