import { describe, expect, it } from 'vitest';
import {
  type Principal,
  scopeIncludesCrafter,
  scopeIncludesRegion,
  scopeOf,
} from '../../src/domain/scope.js';

const ciaterCrafter = { id: 'c-1', kelurahanCode: '36.74.01.1001' };
const pakulonanCrafter = { id: 'c-2', kelurahanCode: '36.74.02.1001' };

function principal(role: Principal['role'], binding: Partial<Principal> = {}): Principal {
  return { userId: 'u', role, crafterId: null, regionCode: null, ...binding };
}

describe('scopeOf', () => {
  it('maps each role to its scope', () => {
    expect(scopeOf(principal('operator'))).toEqual({ kind: 'all' });
    expect(scopeOf(principal('admin', { regionCode: '36.74.01' }))).toEqual({
      kind: 'region',
      regionCode: '36.74.01',
    });
    expect(scopeOf(principal('crafter', { crafterId: 'c-1' }))).toEqual({
      kind: 'crafter',
      crafterId: 'c-1',
    });
  });

  it('an admin or crafter without a binding sees nothing', () => {
    const admin = scopeOf(principal('admin'));
    const crafter = scopeOf(principal('crafter'));
    for (const target of [ciaterCrafter, pakulonanCrafter]) {
      expect(scopeIncludesCrafter(admin, target)).toBe(false);
      expect(scopeIncludesCrafter(crafter, target)).toBe(false);
    }
    expect(scopeIncludesRegion(admin, '36.74')).toBe(false);
  });
});

describe('scopeIncludesCrafter', () => {
  it.each([
    ['city admin', { kind: 'region', regionCode: '36.74' } as const, true, true],
    ['Serpong kecamatan admin', { kind: 'region', regionCode: '36.74.01' } as const, true, false],
    ['Ciater kelurahan admin', { kind: 'region', regionCode: '36.74.01.1001' } as const, true, false],
    ['Pakulonan kelurahan admin', { kind: 'region', regionCode: '36.74.02.1001' } as const, false, true],
    ['operator', { kind: 'all' } as const, true, true],
    ['crafter c-1', { kind: 'crafter', crafterId: 'c-1' } as const, true, false],
  ])('%s', (_name, scope, ciater, pakulonan) => {
    expect(scopeIncludesCrafter(scope, ciaterCrafter)).toBe(ciater);
    expect(scopeIncludesCrafter(scope, pakulonanCrafter)).toBe(pakulonan);
  });

  it('does not treat a code prefix without a dot as containment', () => {
    // 36.74.01.10 is not a real node, but a naive startsWith would put 36.74.01.1001 under it.
    expect(scopeIncludesCrafter({ kind: 'region', regionCode: '36.74.01.10' }, ciaterCrafter)).toBe(false);
    expect(scopeIncludesCrafter({ kind: 'region', regionCode: '36.7' }, ciaterCrafter)).toBe(false);
  });
});

describe('scopeIncludesRegion', () => {
  it('admins manage their node and its subtree, never parents or siblings; crafters no region', () => {
    const serpong = { kind: 'region', regionCode: '36.74.01' } as const;
    expect(scopeIncludesRegion(serpong, '36.74.01')).toBe(true);
    expect(scopeIncludesRegion(serpong, '36.74.01.1009')).toBe(true);
    expect(scopeIncludesRegion(serpong, '36.74')).toBe(false);
    expect(scopeIncludesRegion(serpong, '36.74.02')).toBe(false);
    expect(scopeIncludesRegion({ kind: 'all' }, '36.74')).toBe(true);
    expect(scopeIncludesRegion({ kind: 'crafter', crafterId: 'c-1' }, '36.74.01.1001')).toBe(false);
  });
});
