/** Connection factory: a shop row written directly (connecting a real one needs a marketplace). */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/client.js';
import { channelConnections } from '../../src/db/schema/index.js';
import type { Keyring } from '../../src/lib/secrets.js';
import { sealSecrets } from '../../src/services/connections.js';

export async function makeConnection(
  db: Database,
  keyring: Keyring,
  crafterId: string,
  overrides: Partial<typeof channelConnections.$inferInsert> = {},
): Promise<string> {
  const id = randomUUID();
  const channel = overrides.channel ?? 'shopee';
  const shop = String(Number.parseInt(randomBytes(4).toString('hex'), 16));
  await db.insert(channelConnections).values({
    id,
    crafterId,
    channel,
    externalShopId: shop,
    ...(channel === 'partner_brand' ? { partnerProgrammeId: `prog-${shop}` } : {}),
    ...(channel === 'tiktok_shop' ? { shopCipher: `cipher-${shop}`, warehouseId: `wh-${shop}` } : {}),
    ...sealSecrets(keyring, id, { kind: 'oauth', accessToken: 'at', refreshToken: 'rt' }),
    ...overrides,
  });
  return id;
}
