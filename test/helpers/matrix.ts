/**
 * The principals of the authorization matrix and the data they aim at. Everything targets crafter
 * A (in Ciater, kecamatan Serpong); the other principals are placed so each lies clearly inside or
 * outside A's region. Users are created once per suite: scrypt costs ~100 ms per user.
 */
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import type { Principal } from '../../src/domain/scope.js';
import { CITY, KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import type { TestApi } from './api.js';

export const ROLE_PRINCIPALS = [
  'crafterA',
  'crafterB',
  'kelurahanAdminIn',
  'kelurahanAdminOut',
  'kecamatanAdmin',
  'cityAdmin',
  'operator',
] as const;
export type RolePrincipal = (typeof ROLE_PRINCIPALS)[number];
export type MatrixPrincipal = RolePrincipal | 'noToken' | 'expiredToken';
export const ALL_PRINCIPALS: readonly MatrixPrincipal[] = [...ROLE_PRINCIPALS, 'noToken', 'expiredToken'];

export interface World {
  api: TestApi;
  crafterA: { id: string; kelurahanCode: string };
  crafterB: { id: string; kelurahanCode: string };
  /** Login name and password of crafter A's user (for the login route). */
  crafterALogin: { username: string; password: string };
  principals: Record<RolePrincipal, Principal>;
}

export async function buildWorld(api: TestApi): Promise<World> {
  const db = api.database.db;
  const crafterA = await makeCrafter(db, { kelurahanCode: KELURAHAN.ciater, businessName: 'Anyaman A' });
  // B sits in A's kecamatan: the kecamatan admin sees both, crafter A still must not see B.
  const crafterB = await makeCrafter(db, { kelurahanCode: KELURAHAN.rawabuntu, businessName: 'Batik B' });
  const userA = await makeUser(db, 'crafter', { crafterId: crafterA.id });
  const [userB, kelIn, kelOut, kec, city, operator] = await Promise.all([
    makeUser(db, 'crafter', { crafterId: crafterB.id }),
    makeUser(db, 'admin', { regionCode: KELURAHAN.ciater }),
    // Pakulonan lies in kecamatan Serpong Utara, not A's kecamatan Serpong.
    makeUser(db, 'admin', { regionCode: KELURAHAN.pakulonan }),
    makeUser(db, 'admin', { regionCode: KECAMATAN.serpong }),
    makeUser(db, 'admin', { regionCode: CITY }),
    makeUser(db, 'operator'),
  ]);
  return {
    api,
    crafterA,
    crafterB,
    crafterALogin: { username: userA.username, password: userA.password },
    principals: {
      crafterA: userA,
      crafterB: userB,
      kelurahanAdminIn: kelIn,
      kelurahanAdminOut: kelOut,
      kecamatanAdmin: kec,
      cityAdmin: city,
      operator,
    },
  };
}

/** Authorization header for a matrix principal (none for `noToken`). */
export function headersFor(world: World, who: MatrixPrincipal): Record<string, string> {
  if (who === 'noToken') return {};
  if (who === 'expiredToken') return world.api.expiredAuth(world.principals.crafterA);
  return world.api.auth(world.principals[who]);
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A valid product body for crafter A with SKUs nobody else uses. */
export function productBody(world: World, crafterId: string = world.crafterA.id) {
  const s = uniqueSuffix();
  return {
    crafterId,
    title: `Tas anyaman ${s}`,
    description: 'Anyaman pandan',
    category: 'crafts',
    attributes: { bahan: 'pandan' },
    imageUrls: ['https://img.example.com/tas.jpg'],
    status: 'active',
    variants: [
      { sku: `TAS-${s}-M`, options: { warna: 'merah' }, priceIdr: 150_000, stock: 5, weightGrams: 400 },
      { sku: `TAS-${s}-B`, options: { warna: 'biru' }, priceIdr: 155_000, stock: 3, weightGrams: 400 },
    ],
  };
}

/** Creates a fresh product of crafter A through the API, as the operator. */
export async function freshProductOfA(world: World): Promise<{ id: string; etag: string }> {
  const res = await world.api.app.inject({
    method: 'POST',
    url: '/v1/products',
    headers: world.api.auth(world.principals.operator),
    payload: productBody(world),
  });
  if (res.statusCode !== 201) throw new Error(`product not created: ${res.statusCode} ${res.body}`);
  return { id: res.json().id, etag: String(res.headers.etag) };
}

/** The current ETag of crafter A, read as the operator (for `If-Match` on a crafter PATCH). */
export async function crafterEtagOfA(world: World): Promise<string> {
  const res = await world.api.app.inject({
    method: 'GET',
    url: `/v1/crafters/${world.crafterA.id}`,
    headers: world.api.auth(world.principals.operator),
  });
  if (res.statusCode !== 200) throw new Error(`crafter not read: ${res.statusCode} ${res.body}`);
  return String(res.headers.etag);
}

/** A one-product CSV for the import route. */
export function productCsv(): string {
  const s = uniqueSuffix();
  return [
    'product_key,title,description,category,status,attributes,image_urls,sku,options,price_idr,stock,weight_grams',
    `new-${s},Kain tenun ${s},Tenun ikat,fashion,draft,bahan=katun,,KAIN-${s},warna=hitam,250000,2,300`,
  ].join('\n');
}

export type MatrixRequest = Omit<InjectOptions, 'headers'> & { headers?: Record<string, string> };
