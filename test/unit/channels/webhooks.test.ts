import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createShopeeWebhookVerifier } from '../../../src/channels/shopee/index.js';
import { createTiktokShopWebhookVerifier } from '../../../src/channels/tiktok-shop/index.js';

describe('Shopee push verification', () => {
  // Reference §1.8 local vector: key test_partner_key, this URL and body.
  const url = 'https://example.com/webhook/shopee';
  const body =
    '{"data":{"items":[],"ordersn":"220810QSK8S7BX","status":"PROCESSED","completed_scenario":"","update_time":1660123127},"shop_id":727720655,"code":3,"timestamp":1660123127}';
  const vector = 'a09ceff72bb06a2ca2c707e2359fba1fcf6ed763390581e77b53e63e3fadb540';
  const verify = createShopeeWebhookVerifier('test_partner_key');
  const sign = (u: string, b: string) =>
    createHmac('sha256', 'test_partner_key').update(`${u}|${b}`).digest('hex');

  it('accepts the reference vector (HMAC of url|raw body) and names the shop and push code', () => {
    expect(sign(url, body)).toBe(vector);
    const event = verify({ rawBody: Buffer.from(body), headers: { authorization: vector }, url });
    expect(event).toEqual({ externalShopId: '727720655', kind: '3' });
  });

  it('refuses a forged signature, a tampered body, another URL and a missing header', () => {
    const good = sign(url, body);
    const forged = createHmac('sha256', 'not_the_key').update(`${url}|${body}`).digest('hex');
    expect(verify({ rawBody: Buffer.from(body), headers: { authorization: forged }, url })).toBeNull();
    const tampered = body.replace('PROCESSED', 'CANCELLED');
    expect(verify({ rawBody: Buffer.from(tampered), headers: { authorization: good }, url })).toBeNull();
    expect(
      verify({ rawBody: Buffer.from(body), headers: { authorization: good }, url: `${url}?x=1` }),
    ).toBeNull();
    expect(verify({ rawBody: Buffer.from(body), headers: {}, url })).toBeNull();
    expect(verify({ rawBody: Buffer.from(body), headers: { authorization: 'zz' }, url })).toBeNull();
  });

  it('reads the header whatever its case and refuses a validly signed body that is not a push', () => {
    const event = verify({
      rawBody: Buffer.from(body),
      headers: { Authorization: sign(url, body).toUpperCase() },
      url,
    });
    expect(event?.externalShopId).toBe('727720655');
    const notJson = 'hello';
    expect(
      verify({ rawBody: Buffer.from(notJson), headers: { authorization: sign(url, notJson) }, url }),
    ).toBeNull();
  });
});

describe('TikTok Shop webhook verification', () => {
  // Reference §2.7 local vector.
  const app = { appKey: '68xu9ks5p4i8', appSecret: 'e59af819cc' };
  const body =
    '{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"order_id":"576486316948490001","order_status":"UNPAID","is_on_hold_order":false,"update_time":1644412885}}';
  const vector = '06df0a3bb1cbfd036bb92b7ed2b3783a4a5dab99829bd58ac49815b67d92c2dc';
  const verify = createTiktokShopWebhookVerifier(app);

  it('accepts the reference vector (HMAC of app_key + raw body) and names the shop and event', () => {
    expect(
      verify({ rawBody: Buffer.from(body), headers: { authorization: vector }, url: 'https://x/y' }),
    ).toEqual({ externalShopId: '7494049642642441621', kind: 'ORDER_STATUS_CHANGE' });
  });

  it('refuses a forged signature, a tampered body or another app', () => {
    const tampered = body.replace('UNPAID', 'CANCELLED');
    expect(
      verify({ rawBody: Buffer.from(tampered), headers: { authorization: vector }, url: '' }),
    ).toBeNull();
    expect(
      verify({ rawBody: Buffer.from(body), headers: { authorization: vector.replace(/^0/, '1') }, url: '' }),
    ).toBeNull();
    const other = createTiktokShopWebhookVerifier({ appKey: 'other', appSecret: 'e59af819cc' });
    expect(other({ rawBody: Buffer.from(body), headers: { authorization: vector }, url: '' })).toBeNull();
  });
});
