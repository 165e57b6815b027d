import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/scope.js';
import { CITY, KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

const PASSWORD = 'a very secret passphrase';
let api: TestApi;
let operator: Principal;
let serpongAdmin: Principal;
let crafterUser: Principal;
let ciaterCrafter: { id: string };
let pakulonanCrafter: { id: string };

beforeAll(async () => {
  api = await startTestApi('users');
  ciaterCrafter = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
  pakulonanCrafter = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.pakulonan });
  [operator, serpongAdmin, crafterUser] = await Promise.all([
    makeUser(api.database.db, 'operator'),
    makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpong }),
    makeUser(api.database.db, 'crafter', { crafterId: ciaterCrafter.id }),
  ]);
});
afterAll(async () => {
  await api?.close();
});

const name = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

function createUser(by: Principal, body: Record<string, unknown>) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: api.auth(by),
    payload: { displayName: 'Someone', password: PASSWORD, ...body },
  });
}

async function userCount(): Promise<number> {
  const [row] = await api.database.sql`select count(*)::int as n from users`;
  return row?.n as number;
}

describe('users', () => {
  it('requires a token, and crafters may not manage users', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
    const res = await api.app.inject({ method: 'GET', url: '/v1/users', headers: api.auth(crafterUser) });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });

  it('the operator creates users of every role, who can then log in', async () => {
    const bodies = [
      { username: name('op'), role: 'operator' },
      { username: name('adm'), role: 'admin', regionCode: CITY },
      { username: name('crf'), role: 'crafter', crafterId: pakulonanCrafter.id },
    ];
    for (const body of bodies) {
      const res = await createUser(operator, body);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers.location).toBe(`/v1/users/${res.json().id}`);
      expect(res.json()).toMatchObject({ ...body, disabled: false });
    }
    const login = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: bodies[2]?.username, password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
  });

  it('an admin creates admins in its subtree and crafter users for its crafters', async () => {
    const admin = await createUser(serpongAdmin, {
      username: name('kel'),
      role: 'admin',
      regionCode: KELURAHAN.ciater,
    });
    expect(admin.statusCode, admin.body).toBe(201);
    const crafter = await createUser(serpongAdmin, {
      username: name('crf'),
      role: 'crafter',
      crafterId: ciaterCrafter.id,
    });
    expect(crafter.statusCode, crafter.body).toBe(201);
    expect(crafter.json().crafterId).toBe(ciaterCrafter.id);
  });

  it('an admin gets 404 for regions and crafters outside its subtree, and writes nothing', async () => {
    const before = await userCount();
    const cases = [
      { username: name('x'), role: 'admin', regionCode: KELURAHAN.pakulonan },
      { username: name('x'), role: 'admin', regionCode: KECAMATAN.serpongUtara },
      { username: name('x'), role: 'admin', regionCode: CITY }, // its own parent
      { username: name('x'), role: 'admin', regionCode: '36.74.99.9999' }, // does not exist
      { username: name('x'), role: 'crafter', crafterId: pakulonanCrafter.id },
      { username: name('x'), role: 'crafter', crafterId: '00000000-0000-4000-8000-000000000000' },
    ];
    for (const body of cases) {
      const res = await createUser(serpongAdmin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
    expect(await userCount()).toBe(before);
  });

  it('an admin may not create an operator (403)', async () => {
    const res = await createUser(serpongAdmin, { username: name('op'), role: 'operator' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });

  it('a duplicate username, in any case, gets 409 username_taken and writes nothing', async () => {
    const username = name('Dup');
    expect((await createUser(operator, { username, role: 'operator' })).statusCode).toBe(201);
    const before = await userCount();
    const [audit] = await api.database.sql`select count(*)::int as n from audit_log`;
    for (const variant of [username, username.toUpperCase(), username.toLowerCase()]) {
      const res = await createUser(operator, { username: variant, role: 'operator' });
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('username_taken');
    }
    expect(await userCount()).toBe(before);
    const [auditAfter] = await api.database.sql`select count(*)::int as n from audit_log`;
    expect(auditAfter?.n).toBe(audit?.n);
  });

  it('the password is stored as a scrypt hash and never appears in responses or the audit log', async () => {
    const username = name('secret');
    const created = await createUser(operator, { username, role: 'admin', regionCode: KECAMATAN.serpong });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const [stored] = await api.database.sql`select password_hash from users where id = ${id}`;
    const hash = stored?.password_hash as string;
    expect(hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(hash).not.toContain(PASSWORD);

    const responses = [
      created,
      await api.app.inject({ method: 'GET', url: `/v1/users/${id}`, headers: api.auth(operator) }),
      await api.app.inject({ method: 'GET', url: '/v1/users?limit=200', headers: api.auth(operator) }),
    ];
    const login = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username, password: PASSWORD },
    });
    responses.push(
      await api.app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${login.json().token}` },
      }),
    );
    for (const res of responses) {
      expect(res.statusCode).toBeLessThan(300);
      expect(res.body).not.toMatch(/password/i);
      expect(res.body).not.toContain(PASSWORD);
      expect(res.body).not.toContain(hash.split('$')[5]);
    }
    expect(Object.keys(created.json()).sort()).toEqual(
      ['createdAt', 'crafterId', 'disabled', 'displayName', 'id', 'regionCode', 'role', 'username'].sort(),
    );

    const audit = await api.database.sql`select action, before, after from audit_log where entity_id = ${id}`;
    expect(audit.map((a) => a.action)).toEqual(['user.create']);
    const auditText = JSON.stringify(audit);
    expect(auditText).not.toMatch(/password/i);
    expect(auditText).not.toContain(PASSWORD);
    expect(auditText).not.toContain('scrypt$');
  });

  it('an admin lists and reads only users of its subtree', async () => {
    const outsider = await makeUser(api.database.db, 'crafter', { crafterId: pakulonanCrafter.id });
    const list = await api.app.inject({
      method: 'GET',
      url: '/v1/users?limit=200',
      headers: api.auth(serpongAdmin),
    });
    expect(list.statusCode).toBe(200);
    const ids = (list.json().items as Array<{ id: string }>).map((u) => u.id);
    expect(ids).toContain(crafterUser.userId);
    expect(ids).toContain(serpongAdmin.userId);
    expect(ids).not.toContain(outsider.userId);
    expect(ids).not.toContain(operator.userId);
    const hidden = await api.app.inject({
      method: 'GET',
      url: `/v1/users/${outsider.userId}`,
      headers: api.auth(serpongAdmin),
    });
    expect(hidden.statusCode).toBe(404);
  });

  it('pages through users with the cursor, without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.app.inject({ method: 'GET', url, headers: api.auth(operator) });
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: Array<{ id: string }>; nextCursor: string | null };
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(await userCount());
  });
});
