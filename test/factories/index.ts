/** Test data factories: real rows through the real services, with readable defaults. */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/client.js';
import type { Principal, Role } from '../../src/domain/scope.js';
import { type CreateCrafterInput, createCrafter } from '../../src/services/crafters.js';
import { createUserUnscoped } from '../../src/services/users.js';

const system: Principal = {
  userId: '00000000-0000-0000-0000-000000000000',
  role: 'operator',
  crafterId: null,
  regionCode: null,
};

export const KELURAHAN = {
  /** Serpong / Ciater */
  ciater: '36.74.01.1001',
  /** Serpong / Rawabuntu */
  rawabuntu: '36.74.01.1002',
  /** Serpong Utara / Pakulonan */
  pakulonan: '36.74.02.1001',
} as const;
export const KECAMATAN = { serpong: '36.74.01', serpongUtara: '36.74.02' } as const;
export const CITY = '36.74';

export async function makeCrafter(db: Database, overrides: Partial<CreateCrafterInput> = {}) {
  return createCrafter(
    { db, principal: system, requestId: null },
    {
      businessName: `Kriya ${randomBytes(3).toString('hex')}`,
      ownerName: 'Ibu Sari',
      phone: '0812-3456-7890',
      kelurahanCode: KELURAHAN.ciater,
      craftCategory: 'crafts',
      ...overrides,
    },
  );
}

export async function makeUser(
  db: Database,
  role: Role,
  binding: { crafterId?: string; regionCode?: string } = {},
  password = 'correct horse battery',
): Promise<Principal & { username: string; password: string }> {
  const username = `${role}-${randomBytes(4).toString('hex')}`;
  const user = await createUserUnscoped(db, {
    username,
    displayName: username,
    password,
    role,
    crafterId: binding.crafterId,
    regionCode: binding.regionCode,
  });
  if (!user) throw new Error('user not created');
  return {
    userId: user.id,
    role,
    crafterId: user.crafterId,
    regionCode: user.regionCode,
    username,
    password,
  };
}
