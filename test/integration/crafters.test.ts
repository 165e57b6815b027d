import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('crafters');
});
afterAll(async () => {
  await api?.close();
});

describe('crafters', () => {
  it('requires a bearer token', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/crafters' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('unauthenticated');
  });

  it('an admin sees only crafters of its subtree and 404s outside it', async () => {
    const inside = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
    const outside = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.pakulonan });
    const admin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpong });
    const list = await api.app.inject({
      method: 'GET',
      url: '/v1/crafters?limit=200',
      headers: api.auth(admin),
    });
    expect(list.statusCode).toBe(200);
    const ids = list.json().items.map((c: { id: string }) => c.id);
    expect(ids).toContain(inside.id);
    expect(ids).not.toContain(outside.id);
    const out = await api.app.inject({
      method: 'GET',
      url: `/v1/crafters/${outside.id}`,
      headers: api.auth(admin),
    });
    expect(out.statusCode).toBe(404);
  });

  it('an admin creates a crafter only in a kelurahan of its subtree, and the change is audited', async () => {
    const admin = await makeUser(api.database.db, 'admin', { regionCode: KECAMATAN.serpong });
    const body = {
      businessName: 'Batik Ciater',
      ownerName: 'Pak Budi',
      phone: '081234567890',
      kelurahanCode: KELURAHAN.rawabuntu,
      craftCategory: 'fashion',
    };
    const ok = await api.app.inject({
      method: 'POST',
      url: '/v1/crafters',
      headers: api.auth(admin),
      payload: body,
    });
    expect(ok.statusCode).toBe(201);
    const audit = await api.database.sql`select action from audit_log where entity_id = ${ok.json().id}`;
    expect(audit.map((a) => a.action)).toEqual(['crafter.create']);
    const outside = await api.app.inject({
      method: 'POST',
      url: '/v1/crafters',
      headers: api.auth(admin),
      payload: { ...body, kelurahanCode: KELURAHAN.pakulonan },
    });
    expect(outside.statusCode).toBe(404);
  });

  it('a crafter edits its own contact details but not its status', async () => {
    const crafter = await makeCrafter(api.database.db);
    const user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
    const ok = await api.app.inject({
      method: 'PATCH',
      url: `/v1/crafters/${crafter.id}`,
      headers: { ...api.auth(user), 'if-match': `"${crafter.version}"` },
      payload: { phone: '0813 0000 1111' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().version).toBe(crafter.version + 1);
    const denied = await api.app.inject({
      method: 'PATCH',
      url: `/v1/crafters/${crafter.id}`,
      headers: { ...api.auth(user), 'if-match': `"${crafter.version + 1}"` },
      payload: { status: 'inactive' },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('a PATCH needs the current version in If-Match: two editors cannot overwrite each other', async () => {
    const crafter = await makeCrafter(api.database.db);
    const admin = await makeUser(api.database.db, 'admin', { regionCode: crafter.kelurahanCode });
    const headers = api.auth(admin);
    const read = await api.app.inject({ method: 'GET', url: `/v1/crafters/${crafter.id}`, headers });
    expect(read.headers.etag).toBe(`"${crafter.version}"`);
    const patch = (ifMatch: string | undefined, phone: string) =>
      api.app.inject({
        method: 'PATCH',
        url: `/v1/crafters/${crafter.id}`,
        headers: { ...headers, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) },
        payload: { phone },
      });
    const stored = async () =>
      (await api.database.sql`select version, phone from crafters where id = ${crafter.id}`)[0];
    const original = await stored();

    const missing = await patch(undefined, '0813 1111 2222');
    expect(missing.statusCode).toBe(428);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json().code).toBe('if_match_required');
    expect(await stored()).toEqual(original);

    // The first editor wins; the second, still holding the old ETag, is refused and changes nothing.
    const first = await patch(String(read.headers.etag), '0813 2222 3333');
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe(`"${crafter.version + 1}"`);
    const afterFirst = await stored();
    const second = await patch(String(read.headers.etag), '0813 4444 5555');
    expect(second.statusCode).toBe(412);
    expect(second.json().code).toBe('version_mismatch');
    expect(await stored()).toEqual(afterFirst);
    expect(afterFirst).toEqual({ version: crafter.version + 1, phone: '0813 2222 3333' });
    const audit = await api.database
      .sql`select count(*)::int as n from audit_log where entity_id = ${crafter.id} and action = 'crafter.update'`;
    expect(audit[0]?.n).toBe(1);
  });
});
