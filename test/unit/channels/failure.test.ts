import { describe, expect, it } from 'vitest';
import { classifyChannelFailure } from '../../../src/channels/failure.js';
import { ChannelFailure } from '../../../src/channels/types.js';

const human = { en: 'Shopee refused the title', id: 'Shopee menolak judul' };

describe('classifyChannelFailure', () => {
  it('keeps an adapter classification, with a default wait for throttles', () => {
    expect(classifyChannelFailure(new ChannelFailure('permanent', 'error_param', human))).toMatchObject({
      kind: 'permanent',
      retry: false,
      platformCode: 'error_param',
      human,
    });
    expect(classifyChannelFailure(new ChannelFailure('throttled', '36009002', human))).toMatchObject({
      kind: 'throttled',
      retry: true,
      waitMs: 1000,
    });
    expect(
      classifyChannelFailure(new ChannelFailure('throttled', 'error_rate_limit', human, { waitMs: 5000 }))
        .waitMs,
    ).toBe(5000);
    expect(classifyChannelFailure(new ChannelFailure('reauth', '105002', human))).toMatchObject({
      kind: 'reauth',
      retry: false,
    });
  });

  it('treats HTTP 429 as a throttle and 5xx or network errors as retryable', () => {
    expect(classifyChannelFailure({ response: { status: 429 } }).kind).toBe('throttled');
    expect(classifyChannelFailure({ response: { status: 503 } })).toMatchObject({
      kind: 'retryable',
      platformCode: 'HTTP 503',
    });
    expect(
      classifyChannelFailure(Object.assign(new Error('timeout'), { code: 'ECONNABORTED' })),
    ).toMatchObject({
      kind: 'retryable',
      platformCode: 'ECONNABORTED',
    });
  });

  it('makes anything else permanent, so an unknown bug never becomes a retry storm', () => {
    expect(classifyChannelFailure(new TypeError('x is undefined'))).toMatchObject({
      kind: 'permanent',
      retry: false,
    });
    expect(classifyChannelFailure({ response: { status: 400 } }).platformCode).toBe('HTTP 400');
  });
});
