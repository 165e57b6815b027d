import { z } from 'zod';
import type { ConnectionView } from '../../../services/connections.js';

export const channelName = z.enum(['shopee', 'tiktok_shop', 'partner_brand']);
/** OAuth channels as they appear in paths. */
export const oauthChannelSlug = z.enum(['shopee', 'tiktok-shop']);
export const slugToChannel = { shopee: 'shopee', 'tiktok-shop': 'tiktok_shop' } as const;

const timestamp = z.string().meta({ format: 'date-time' });

export const connectionSchema = z
  .object({
    id: z.uuid(),
    crafterId: z.uuid(),
    channel: channelName,
    externalShopId: z.string(),
    shopName: z.string().nullable(),
    partnerProgrammeId: z.string().nullable(),
    status: z.enum(['active', 'reauth_required', 'disconnected']),
    statusReason: z.string().nullable(),
    statusReasonId: z.string().nullable(),
    health: z.object({
      state: z.enum(['healthy', 'degraded', 'reauth_required', 'disconnected']),
      lastSuccessAt: timestamp.nullable(),
      lastErrorAt: timestamp.nullable(),
      lastErrorCode: z.string().nullable(),
      lastError: z.string().nullable(),
      consecutiveFailures: z.number().int(),
    }),
    tokenExpiresAt: timestamp.nullable(),
    refreshExpiresAt: timestamp.nullable(),
    lastRefreshedAt: timestamp.nullable(),
    priceRule: z.object({
      kind: z.enum(['none', 'percent', 'fixed']),
      value: z
        .number()
        .int()
        .meta({ description: 'basis points for percent (1250 = 12.5 %), rupiah for fixed' }),
      roundingStepIdr: z.number().int(),
    }),
    stockBuffer: z.object({ percent: z.number().int(), maxUnits: z.number().int().nullable() }),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
    disconnectedAt: timestamp.nullable(),
  })
  .meta({
    id: 'Connection',
    description: 'A crafter’s shop on one channel. Credentials are never part of any answer.',
  });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toConnectionResponse(v: ConnectionView): z.infer<typeof connectionSchema> {
  return {
    ...v,
    health: {
      ...v.health,
      lastSuccessAt: iso(v.health.lastSuccessAt),
      lastErrorAt: iso(v.health.lastErrorAt),
    },
    tokenExpiresAt: iso(v.tokenExpiresAt),
    refreshExpiresAt: iso(v.refreshExpiresAt),
    lastRefreshedAt: iso(v.lastRefreshedAt),
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    disconnectedAt: iso(v.disconnectedAt),
  };
}

export const authorizationLinkSchema = z
  .object({
    authorizationUrl: z
      .string()
      .meta({ description: 'Open this in the seller’s browser to approve the shop' }),
    callbackUrl: z.string(),
    expiresAt: timestamp,
  })
  .meta({ id: 'AuthorizationLink' });
