/**
 * Who may see what (pure). Every repository query that returns crafter-owned data applies the
 * caller's `Scope`; handlers never check ownership themselves.
 */
import { regionContains } from './regions.js';

export type Role = 'crafter' | 'admin' | 'operator';

export interface Principal {
  userId: string;
  role: Role;
  /** Set for role `crafter`. */
  crafterId: string | null;
  /** Set for role `admin`: the region node the admin is bound to. */
  regionCode: string | null;
}

export type Scope =
  | { kind: 'all' }
  | { kind: 'region'; regionCode: string }
  | { kind: 'crafter'; crafterId: string };

export function scopeOf(principal: Principal): Scope {
  switch (principal.role) {
    case 'operator':
      return { kind: 'all' };
    case 'admin':
      return { kind: 'region', regionCode: principal.regionCode ?? '__none__' };
    case 'crafter':
      return { kind: 'crafter', crafterId: principal.crafterId ?? '__none__' };
  }
}

/** Whether a crafter (identified by id and kelurahan) is inside the scope. */
export function scopeIncludesCrafter(scope: Scope, crafter: { id: string; kelurahanCode: string }): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'region':
      return regionContains(scope.regionCode, crafter.kelurahanCode);
    case 'crafter':
      return scope.crafterId === crafter.id;
  }
}

/** Whether a region node is inside the scope (admins manage nodes in their subtree). */
export function scopeIncludesRegion(scope: Scope, regionCode: string): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'region':
      return regionContains(scope.regionCode, regionCode);
    case 'crafter':
      return false;
  }
}
