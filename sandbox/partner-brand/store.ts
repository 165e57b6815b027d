/** In-memory state of the partner-brand sandbox (plain JSON for snapshot/restore). */

export interface Partner {
  id: string;
  name: string;
  key: string;
  secret: string;
}

export interface Outlet {
  id: string;
  partnerId: string;
  /** Appears as `outlet` on sales lines. */
  code: string;
  name: string;
  kind: 'outlet' | 'programme';
}

export interface AssortmentItem {
  partnerId: string;
  sku: string;
  title: string;
  priceIdr: number;
  /** Units consigned to the partner and not yet sold. */
  quantity: number;
  imageUrl?: string;
  createdAt: number;
  updatedAt: number;
}

export interface SalesLine {
  reportLineId: string;
  partnerId: string;
  sku: string;
  quantity: number;
  unitPriceIdr: number;
  /** Epoch ms. */
  soldAt: number;
  outlet: string;
}

export interface PartnerSettings {
  /** Requests per second per partner key. */
  rateLimitPerSecond: number;
  /** Seconds a request timestamp may differ from the sandbox clock either way. */
  timestampToleranceSeconds: number;
  /** Longest report period in days. */
  maxReportDays: number;
}

export const DEFAULT_PARTNER_SETTINGS: PartnerSettings = {
  rateLimitPerSecond: 20,
  timestampToleranceSeconds: 300,
  maxReportDays: 31,
};

export interface PartnerState {
  partners: Record<string, Partner>;
  outlets: Record<string, Outlet>;
  /** Keyed `${partnerId}|${sku}`. */
  items: Record<string, AssortmentItem>;
  sales: SalesLine[];
  lineSequence: number;
  settings: PartnerSettings;
}

export function emptyPartnerState(): PartnerState {
  return {
    partners: {},
    outlets: {},
    items: {},
    sales: [],
    lineSequence: 0,
    settings: { ...DEFAULT_PARTNER_SETTINGS },
  };
}

export class PartnerStore {
  state: PartnerState = emptyPartnerState();

  partnerByKey(key: string): Partner | undefined {
    return Object.values(this.state.partners).find((partner) => partner.key === key);
  }

  itemKey(partnerId: string, sku: string): string {
    return `${partnerId}|${sku}`;
  }

  itemsOf(partnerId: string): AssortmentItem[] {
    return Object.values(this.state.items)
      .filter((item) => item.partnerId === partnerId)
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  }

  outletsOf(partnerId: string): Outlet[] {
    return Object.values(this.state.outlets).filter((outlet) => outlet.partnerId === partnerId);
  }

  nextLineId(): string {
    this.state.lineSequence += 1;
    return `rl_${String(this.state.lineSequence).padStart(10, '0')}`;
  }

  reset(): void {
    this.state = emptyPartnerState();
  }

  snapshot(): PartnerState {
    return structuredClone(this.state);
  }

  restore(state: PartnerState): void {
    const empty = emptyPartnerState();
    this.state = { ...empty, ...structuredClone(state), settings: { ...empty.settings, ...state.settings } };
  }
}
