import { createSigner } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/services/context.js';
import { deleteUser, setUserDisabled, setUserPassword } from '../../src/services/users.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

const WINDOW_SECONDS = 30;
const USER_CACHE_SECONDS = 2;
let api: TestApi;
let crafterUser: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  api = await startTestApi('auth', {
    LOGIN_RATE_LIMIT_MAX: '3',
    LOGIN_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
    AUTH_USER_CACHE_SECONDS: String(USER_CACHE_SECONDS),
  });
  const crafter = await makeCrafter(api.database.db);
  crafterUser = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
});
afterAll(async () => {
  await api?.close();
});

function login(username: string, password: string) {
  return api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
}

function me(authorization?: string) {
  return api.app.inject({ method: 'GET', url: '/v1/me', headers: authorization ? { authorization } : {} });
}

describe('auth', () => {
  it('GET /v1/me requires a bearer token', async () => {
    const res = await me();
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('unauthenticated');
  });

  it('a good login returns a short-lived bearer token that works on /v1/me', async () => {
    const res = await login(crafterUser.username, crafterUser.password);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.tokenType).toBe('Bearer');
    const ttl = Date.parse(body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(api.config.authTokenTtlSeconds * 1000);
    const who = await me(`Bearer ${body.token}`);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toMatchObject({
      id: crafterUser.userId,
      username: crafterUser.username,
      role: 'crafter',
      crafterId: crafterUser.crafterId,
      regionCode: null,
      disabled: false,
    });
    expect(who.body).not.toMatch(/password/i);
  });

  it('usernames are case-insensitive at login', async () => {
    const res = await login(crafterUser.username.toUpperCase(), crafterUser.password);
    expect(res.statusCode).toBe(200);
  });

  it('a wrong password and an unknown user get the same 401 answer', async () => {
    const user = await makeUser(api.database.db, 'operator');
    const wrong = await login(user.username, 'not the password');
    const unknown = await login('nobody-here', 'not the password');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.json().code).toBe('invalid_credentials');
  });

  it('a disabled user cannot log in, even with the right password', async () => {
    const user = await makeUser(api.database.db, 'operator');
    await api.database.sql`update users set disabled = true where id = ${user.userId}`;
    const res = await login(user.username, user.password);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_credentials');
  });

  it('login attempts are rate-limited per username: 429 problem with Retry-After, other users unaffected', async () => {
    const user = await makeUser(api.database.db, 'operator');
    for (let i = 0; i < 3; i += 1) expect((await login(user.username, `guess ${i}`)).statusCode).toBe(401);
    const limited = await login(user.username, user.password);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json().code).toBe('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    // Same user, different case: still the same bucket.
    expect((await login(user.username.toUpperCase(), user.password)).statusCode).toBe(429);
    // Another account is not locked by someone guessing this one.
    expect((await login(crafterUser.username, crafterUser.password)).statusCode).toBe(200);
  });

  it('login attempts are also capped per username, whatever X-Forwarded-For claims', async () => {
    // A proxy trusted for every hop: the client address is whatever the header says.
    const proxied = await startTestApi('auth_xff', {
      TRUST_PROXY: 'true',
      LOGIN_RATE_LIMIT_MAX: '3',
      LOGIN_RATE_LIMIT_PER_USER_MAX: '5',
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
    });
    try {
      const user = await makeUser(proxied.database.db, 'operator');
      const attempt = (i: number, password: string) =>
        proxied.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          headers: { 'x-forwarded-for': `203.0.113.${i}` },
          payload: { username: user.username, password },
        });
      for (let i = 1; i <= 5; i += 1) expect((await attempt(i, `guess ${i}`)).statusCode).toBe(401);
      const limited = await attempt(6, user.password);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Each address had its own small bucket: the per-address limit alone never triggered.
      const other = await makeUser(proxied.database.db, 'operator');
      for (let i = 1; i <= 3; i += 1) {
        const res = await proxied.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          headers: { 'x-forwarded-for': '198.51.100.7' },
          payload: { username: other.username, password: `guess ${i}` },
        });
        expect(res.statusCode).toBe(401);
      }
    } finally {
      await proxied.close();
    }
  });

  it('behind TRUST_PROXY=1 a forged left part of X-Forwarded-For does not change the client address', async () => {
    const proxied = await startTestApi('auth_hop', {
      TRUST_PROXY: '1',
      LOGIN_RATE_LIMIT_MAX: '3',
      LOGIN_RATE_LIMIT_PER_USER_MAX: '100',
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
    });
    try {
      const user = await makeUser(proxied.database.db, 'operator');
      const attempt = (forged: string, password: string) =>
        proxied.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          // The proxy appends the address it saw; the client wrote the rest.
          headers: { 'x-forwarded-for': `${forged}, 192.0.2.10` },
          payload: { username: user.username, password },
        });
      for (let i = 1; i <= 3; i += 1) expect((await attempt(`203.0.113.${i}`, 'wrong')).statusCode).toBe(401);
      expect((await attempt('203.0.113.99', user.password)).statusCode).toBe(429);
    } finally {
      await proxied.close();
    }
  });

  it('an expired token gets 401 token_expired', async () => {
    const res = await me(api.expiredAuth(crafterUser).authorization);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_expired');
  });

  it.each([
    ['not a JWT', 'Bearer not-a-token'],
    ['an empty bearer', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a truncated token', 'TRUNCATE'],
    ['a token signed with another secret', 'FOREIGN'],
    ['a token with a tampered role', 'TAMPERED'],
    ['a token with an unknown role', 'BADROLE'],
  ])('a malformed token (%s) gets 401 unauthenticated', async (_name, header) => {
    const good = api.auth(crafterUser).authorization.slice('Bearer '.length);
    const [head, payload, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    const foreign = createSigner({ key: 'another-secret-that-is-long-enough-0123456789' })(claims);
    const tampered = Buffer.from(JSON.stringify({ ...claims, role: 'operator' })).toString('base64url');
    const badRole = createSigner({ key: api.config.authTokenSecret })({ ...claims, role: 'root' });
    const authorization =
      {
        TRUNCATE: `Bearer ${good.slice(0, -5)}`,
        FOREIGN: `Bearer ${foreign}`,
        TAMPERED: `Bearer ${head}.${tampered}.${signature}`,
        BADROLE: `Bearer ${badRole}`,
      }[header] ?? header;
    const res = await me(authorization);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('unauthenticated');
  });

  it('the token of a user that has since been deleted cannot read /v1/me', async () => {
    const user = await makeUser(api.database.db, 'operator');
    const auth = api.auth(user);
    await api.database.sql`delete from users where id = ${user.userId}`;
    const res = await me(auth.authorization);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });
});

describe('revocation: a token stops working when its user changes, not when it expires', () => {
  let manager: ServiceContext;
  beforeAll(async () => {
    const operator = await makeUser(api.database.db, 'operator');
    manager = { db: api.database.db, principal: operator, requestId: null };
  });

  /** A user with a token that has just been used (so this process remembers the user). */
  async function userWithWarmToken() {
    const user = await makeUser(api.database.db, 'operator');
    const { authorization } = api.auth(user);
    expect((await me(authorization)).statusCode).toBe(200);
    return { user, authorization };
  }

  it('disabling a user: the very next request with its token gets 401, and enabling does not revive it', async () => {
    const { user, authorization } = await userWithWarmToken();
    await setUserDisabled(manager, user.userId, true);
    const res = await me(authorization);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('unauthenticated');
    await setUserDisabled(manager, user.userId, false);
    expect((await me(authorization)).statusCode).toBe(401);
    const again = await login(user.username, user.password);
    expect(again.statusCode).toBe(200);
    expect((await me(`Bearer ${again.json().token}`)).statusCode).toBe(200);
  });

  it('a password change: the old token gets 401, a token from the new password works', async () => {
    const { user, authorization } = await userWithWarmToken();
    await setUserPassword(manager, user.userId, 'a brand new passphrase');
    expect((await me(authorization)).statusCode).toBe(401);
    expect((await login(user.username, user.password)).statusCode).toBe(401);
    const fresh = await login(user.username, 'a brand new passphrase');
    expect(fresh.statusCode).toBe(200);
    expect((await me(`Bearer ${fresh.json().token}`)).statusCode).toBe(200);
  });

  it('deleting a user: the very next request with its token gets 401', async () => {
    const { user, authorization } = await userWithWarmToken();
    await deleteUser(manager, user.userId);
    const res = await me(authorization);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthenticated');
  });

  it('a change made outside this process (plain SQL) takes effect within AUTH_USER_CACHE_SECONDS', async () => {
    const disabled = await userWithWarmToken();
    const rePassworded = await userWithWarmToken();
    const deleted = await userWithWarmToken();
    await api.database.sql`update users set disabled = true where id = ${disabled.user.userId}`;
    await api.database
      .sql`update users set password_hash = 'scrypt$1$1$1$x$y' where id = ${rePassworded.user.userId}`;
    await api.database.sql`delete from users where id = ${deleted.user.userId}`;
    // Waits for the condition; the bound is the cache time plus slack for a slow machine.
    const deadline = Date.now() + (USER_CACHE_SECONDS + 5) * 1000;
    for (const { authorization } of [disabled, rePassworded, deleted]) {
      while ((await me(authorization)).statusCode !== 401) {
        if (Date.now() > deadline) throw new Error('token still accepted after the cache time');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  it('a token without a token version (issued before versions existed) is refused', async () => {
    const user = await makeUser(api.database.db, 'operator');
    const legacy = api.app.jwt.sign({ sub: user.userId, role: 'operator', cid: null, rc: null });
    expect((await me(`Bearer ${legacy}`)).statusCode).toBe(401);
  });
});
