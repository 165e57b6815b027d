import type { FaultDecision, FaultInjector, FaultRule, PlatformName, SandboxRandom } from './contract.js';

/**
 * Fault rules per platform. An endpoint rule overrides the platform-wide rule field by field, so
 * "500 ms everywhere, and 50 % errors on add_item" is two rules.
 */
export function createFaultInjector(random: SandboxRandom): FaultInjector {
  let rules: FaultRule[] = [];
  const field = <K extends keyof FaultRule>(
    specific: FaultRule | undefined,
    general: FaultRule | undefined,
    key: K,
  ): FaultRule[K] | undefined => specific?.[key] ?? general?.[key];
  return {
    set(next) {
      rules = next.map((rule) => ({ ...rule }));
    },
    list: () => rules.map((rule) => ({ ...rule })),
    clear() {
      rules = [];
    },
    decide(platform: PlatformName, endpoint: string): FaultDecision {
      if (rules.length === 0) return { kind: 'none', latencyMs: 0 };
      let general: FaultRule | undefined;
      let specific: FaultRule | undefined;
      for (const rule of rules) {
        if (rule.platform !== platform) continue;
        if (rule.endpoint === undefined) general = rule;
        else if (rule.endpoint === endpoint) specific = rule;
      }
      if (!general && !specific) return { kind: 'none', latencyMs: 0 };
      const latencyMs = field(specific, general, 'latencyMs') ?? 0;
      // One draw per kind keeps each rate independent of the others.
      const hit = (rate: number | undefined): boolean =>
        rate !== undefined && rate > 0 && random.next() < rate;
      if (hit(field(specific, general, 'errorRate'))) return { kind: 'error', latencyMs };
      if (hit(field(specific, general, 'timeoutRate'))) return { kind: 'timeout', latencyMs };
      if (hit(field(specific, general, 'throttleRate'))) return { kind: 'throttle', latencyMs };
      return { kind: 'none', latencyMs };
    },
  };
}

/** The hold time of a timeout fault for this platform/endpoint. */
export function timeoutHoldMs(rules: FaultRule[], platform: PlatformName, endpoint: string): number {
  const specific = rules.find((r) => r.platform === platform && r.endpoint === endpoint);
  const general = rules.find((r) => r.platform === platform && r.endpoint === undefined);
  return specific?.timeoutHoldMs ?? general?.timeoutHoldMs ?? 30_000;
}
