import { z } from 'zod';
import type { UserView } from '../../../services/users.js';
import { regionCode } from '../../schemas.js';

export const roleSchema = z.enum(['crafter', 'admin', 'operator']);

export const userSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    role: roleSchema,
    crafterId: z.uuid().nullable(),
    regionCode: z.string().nullable(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });

export const createUserBody = z
  .strictObject({
    username: z
      .string()
      .min(3)
      .max(64)
      .regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, dot, underscore and dash only'),
    displayName: z.string().trim().min(1).max(120),
    password: z.string().min(10, 'at least 10 characters').max(200),
    role: roleSchema,
    crafterId: z.uuid().optional(),
    regionCode: regionCode.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.role === 'crafter' && !v.crafterId)
      ctx.addIssue({ code: 'custom', path: ['crafterId'], message: 'required for role crafter' });
    if (v.role === 'admin' && !v.regionCode)
      ctx.addIssue({ code: 'custom', path: ['regionCode'], message: 'required for role admin' });
    if (v.role !== 'crafter' && v.crafterId)
      ctx.addIssue({ code: 'custom', path: ['crafterId'], message: 'only for role crafter' });
    if (v.role !== 'admin' && v.regionCode)
      ctx.addIssue({ code: 'custom', path: ['regionCode'], message: 'only for role admin' });
  });

export function toUserResponse(u: UserView): z.infer<typeof userSchema> {
  return { ...u, createdAt: u.createdAt.toISOString() };
}
