import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';

const production = {
  APP_MODE: 'production',
  DATABASE_URL: 'postgres://app@db:5432/kriya',
  REDIS_URL: 'redis://cache:6379',
  AUTH_TOKEN_SECRET: 'x'.repeat(32),
  CREDENTIALS_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  CREDENTIALS_ACTIVE_KEY_ID: 'k1',
  PUBLIC_BASE_URL: 'https://kriya.example.org',
  SHOPEE_BASE_URL: 'https://shopee.example.org',
  SHOPEE_PARTNER_ID: '1001',
  SHOPEE_PARTNER_KEY: 'partner-key-123',
  TIKTOK_SHOP_API_BASE_URL: 'https://tts-api.example.org',
  TIKTOK_SHOP_AUTH_BASE_URL: 'https://tts-auth.example.org',
  TIKTOK_SHOP_AUTHORIZE_URL: 'https://tts-services.example.org/open/authorize',
  TIKTOK_SHOP_APP_KEY: 'app-key',
  TIKTOK_SHOP_APP_SECRET: 'app-secret-123',
  PARTNER_BRAND_BASE_URL: 'https://partner.example.org',
};

/** Production variables beyond the three that every entry point needs. */
const channelVariables = Object.keys(production).filter(
  (k) => !['APP_MODE', 'DATABASE_URL', 'REDIS_URL', 'AUTH_TOKEN_SECRET'].includes(k),
);

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('accepts a complete production environment and applies defaults', () => {
    const config = loadConfig(production);
    expect(config).toMatchObject({
      mode: 'production',
      port: 3000,
      databaseUrl: production.DATABASE_URL,
      redisUrl: production.REDIS_URL,
      authTokenSecret: production.AUTH_TOKEN_SECRET,
      bodyLimitBytes: 1024 * 1024,
      trustProxy: false,
      metricsHost: '127.0.0.1',
      metricsPort: 9464,
    });
  });

  it('TRUST_PROXY takes a flag, a hop count or proxy addresses', () => {
    expect(loadConfig({ ...production, TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ ...production, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...production, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...production, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...production, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(problemsOf({ ...production, TRUST_PROXY: 'everyone' })).toHaveLength(1);
  });

  it('serves metrics on a port of their own: 9464 in production, any free one in demo and test unless set', () => {
    expect(loadConfig({ APP_MODE: 'test' }).metricsPort).toBe(0);
    expect(loadConfig({ APP_MODE: 'demo', METRICS_PORT: '9100' }).metricsPort).toBe(9100);
    expect(problemsOf({ ...production, METRICS_PORT: '70000' }).join()).toContain('METRICS_PORT');
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf({
      ...production,
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://db/kriya',
      REDIS_URL: 'http://cache',
      AUTH_TOKEN_SECRET: 'short',
      TRUST_PROXY: 'maybe',
      QUEUE_PREFIX: 'has space',
    });
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'DATABASE_URL',
      'REDIS_URL',
      'AUTH_TOKEN_SECRET',
      'TRUST_PROXY',
      'QUEUE_PREFIX',
    ]) {
      expect(
        problems.some((p) => p.startsWith(`${name}:`)),
        `${name} named in ${problems.join(' | ')}`,
      ).toBe(true);
    }
    expect(new ConfigError(problems).message).toContain('LOG_LEVEL');
  });

  it('production mode requires DATABASE_URL, REDIS_URL, AUTH_TOKEN_SECRET, credentials keys and channel hosts', () => {
    const problems = problemsOf({ APP_MODE: 'production' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['AUTH_TOKEN_SECRET', 'DATABASE_URL', 'REDIS_URL', ...channelVariables].sort(),
    );
  });

  it('production is the default mode, so a bare environment is refused', () => {
    expect(problemsOf({}).length).toBe(3 + channelVariables.length);
  });

  it('production never falls back to the sandbox for marketplace hosts', () => {
    const { SHOPEE_BASE_URL: _omit, ...rest } = production;
    expect(problemsOf({ ...rest, SANDBOX_URL: 'http://sandbox:4010' })).toEqual([
      'SHOPEE_BASE_URL: required in production mode',
    ]);
  });

  it('reads the credentials keyring and refuses a bad one without echoing it', () => {
    const config = loadConfig(production);
    expect(config.credentialsKeyring.activeKeyId).toBe('k1');
    const problems = problemsOf({
      ...production,
      CREDENTIALS_KEYS: 'k1:dG9vLXNob3J0',
      CREDENTIALS_ACTIVE_KEY_ID: 'k1',
    });
    expect(problems).toEqual(['CREDENTIALS_KEYS: key "k1" must decode to 32 bytes']);
  });

  it('demo and test modes take marketplace hosts from SANDBOX_URL; credentials stay unset unless given', () => {
    const bare = loadConfig({ APP_MODE: 'test', SANDBOX_URL: 'http://127.0.0.1:4010/' });
    expect(bare.channels.shopee).toBeUndefined();
    expect(bare.channels.partnerBrand).toEqual({ baseUrl: 'http://127.0.0.1:4010/partner-brand' });
    const config = loadConfig({
      APP_MODE: 'test',
      SANDBOX_URL: 'http://127.0.0.1:4010',
      SHOPEE_PARTNER_ID: '7',
      SHOPEE_PARTNER_KEY: 'sandbox-key',
    });
    expect(config.channels.shopee).toEqual({
      baseUrl: 'http://127.0.0.1:4010/shopee',
      partnerId: 7,
      partnerKey: 'sandbox-key',
    });
  });

  it('names missing production variables together with malformed ones', () => {
    const problems = problemsOf({ APP_MODE: 'production', PORT: 'eighty' });
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'REDIS_URL', 'AUTH_TOKEN_SECRET']));
  });

  it('treats empty strings as unset', () => {
    const problems = problemsOf({ ...production, DATABASE_URL: '' });
    expect(problems).toEqual(['DATABASE_URL: required in production mode']);
  });

  it('demo mode needs nothing and generates a strong per-boot secret', () => {
    const a = loadConfig({ APP_MODE: 'demo' });
    const b = loadConfig({ APP_MODE: 'demo' });
    expect(a.databaseUrl).toMatch(/^postgres:\/\//);
    expect(a.redisUrl).toMatch(/^redis:\/\//);
    expect(a.authTokenSecret.length).toBeGreaterThanOrEqual(32);
    expect(a.authTokenSecret).not.toBe(b.authTokenSecret);
  });

  it('coerces numbers and booleans', () => {
    const config = loadConfig({ ...production, PORT: '8080', TRUST_PROXY: 'yes', BODY_LIMIT_BYTES: '2048' });
    expect(config.port).toBe(8080);
    expect(config.trustProxy).toBe(true);
    expect(config.bodyLimitBytes).toBe(2048);
  });

  it('rejects limits outside their bounds', () => {
    const problems = problemsOf({ APP_MODE: 'demo', BODY_LIMIT_BYTES: '10', LOGIN_RATE_LIMIT_MAX: '0' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['BODY_LIMIT_BYTES', 'LOGIN_RATE_LIMIT_MAX']);
  });
});
