import { ControlInputError, type SandboxRandom } from '../core/contract.js';
import { emitOrderStatusPush } from './push.js';
import type { ShopeeRuntime } from './runtime.js';
import type { OrderLine, OrderStatus, ShopeeItem, ShopeeOrder } from './store.js';

const buyers = [
  'budi_santoso',
  'siti.rahma',
  'dewi_lestari',
  'agus88',
  'rina.wulandari',
  'andi_pratama',
  'putri.ayu',
  'fajar_nugroho',
];
const districts = ['Serpong', 'Serpong Utara', 'Pamulang', 'Ciputat', 'Ciputat Timur', 'Pondok Aren', 'Setu'];
const shippingFees = [0, 9_000, 12_000, 15_000];
const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface LineRequest {
  item: ShopeeItem;
  modelId: number;
  quantity: number;
  price?: number;
}

export interface OrderRequest {
  shopId: number;
  createTime: number;
  status: OrderStatus;
  lines: LineRequest[];
  orderSn?: string;
  buyerUsername?: string;
  messageToSeller?: string;
  scheduled?: Array<{ status: OrderStatus; at: number }>;
  /** Bulk generation may skip the order-created push (status changes later still push). */
  silent?: boolean;
}

function orderSn(createTime: number, random: SandboxRandom): string {
  const date = new Date(createTime * 1000 + 7 * 3_600_000).toISOString();
  let suffix = '';
  while (suffix.length < 8) suffix += upper[random.int(0, upper.length - 1)];
  return `${date.slice(2, 4)}${date.slice(5, 7)}${date.slice(8, 10)}${suffix}`;
}

/** Stock moves with orders: taken when an order is placed, given back when it is cancelled. */
function moveStock(rt: ShopeeRuntime, order: ShopeeOrder, direction: -1 | 1): void {
  for (const line of order.lines) {
    const item = rt.store.items.get(line.itemId);
    if (!item) continue;
    const model = item.models.find((m) => m.modelId === line.modelId);
    if (model) model.stock = Math.max(0, model.stock + direction * line.quantity);
    else if (item.models.length === 0) item.stock = Math.max(0, item.stock + direction * line.quantity);
  }
}

export function createOrder(rt: ShopeeRuntime, request: OrderRequest, random: SandboxRandom): ShopeeOrder {
  const lines: OrderLine[] = request.lines.map((line) => {
    const model = line.item.models.find((m) => m.modelId === line.modelId);
    if (line.item.models.length > 0 && !model)
      throw new ControlInputError(`item ${line.item.itemId} has no model ${line.modelId}`);
    const price = line.price ?? model?.price ?? line.item.price;
    rt.store.sequence.orderItem += 1;
    const out: OrderLine = {
      orderItemId: rt.store.sequence.orderItem,
      itemId: line.item.itemId,
      itemName: line.item.itemName,
      itemSku: line.item.itemSku,
      modelId: model?.modelId ?? 0,
      modelName: model
        ? model.tierIndex.map((index, tier) => line.item.tiers[tier]?.options[index]?.option ?? '').join(',')
        : '',
      modelSku: model?.modelSku ?? '',
      quantity: line.quantity,
      originalPrice: price,
      discountedPrice: price,
      weight: line.item.weight,
    };
    const imageId = line.item.imageIds[0];
    if (imageId !== undefined) out.imageId = imageId;
    return out;
  });
  const sn = request.orderSn ?? orderSn(request.createTime, random);
  if (rt.store.orders.has(sn)) throw new ControlInputError(`order ${sn} already exists`);
  const shippingFee = random.pick(shippingFees);
  const district = random.pick(districts);
  const buyer = request.buyerUsername ?? random.pick(buyers);
  const order: ShopeeOrder = {
    orderSn: sn,
    shopId: request.shopId,
    status: request.status,
    createTime: request.createTime,
    updateTime: request.createTime,
    lines,
    shippingFee,
    totalAmount: lines.reduce((sum, l) => sum + l.discountedPrice * l.quantity, 0) + shippingFee,
    buyerUserId: Number(random.numericId(9)),
    buyerUsername: buyer,
    recipient: {
      name: buyer.replace(/[._]/g, ' ').replace(/\d+/g, '').trim(),
      phone: `62812${random.numericId(7)}`,
      district,
      city: 'Kota Tangerang Selatan',
      state: 'Banten',
      zipcode: `153${random.int(10, 99)}`,
      full_address: `Jl. Sandbox No. ${random.int(1, 200)}, ${district}, Kota Tangerang Selatan, Banten`,
    },
    paymentMethod: random.pick(['Bank Transfer', 'ShopeePay', 'COD', 'Credit Card']),
    messageToSeller: request.messageToSeller ?? '',
    cancelReason: request.status === 'CANCELLED' ? 'Buyer cancelled' : '',
    daysToShip: 2,
    scheduled: [...(request.scheduled ?? [])].sort((a, b) => a.at - b.at),
  };
  if (request.status !== 'UNPAID') order.payTime = request.createTime + random.int(30, 900);
  rt.store.orders.set(sn, order);
  if (order.status !== 'CANCELLED') moveStock(rt, order, -1);
  if (!request.silent) emitOrderStatusPush(rt, order);
  applyDueOrderChanges(rt, order);
  return order;
}

export function changeOrderStatus(
  rt: ShopeeRuntime,
  order: ShopeeOrder,
  status: OrderStatus,
  at: number,
): void {
  if (status === order.status) return;
  if (status === 'CANCELLED') {
    moveStock(rt, order, 1);
    if (order.cancelReason === '') order.cancelReason = 'Cancelled by sandbox script';
  } else if (order.status === 'CANCELLED') {
    moveStock(rt, order, -1);
  }
  if (order.status === 'UNPAID' && status !== 'CANCELLED' && order.payTime === undefined) order.payTime = at;
  order.status = status;
  order.updateTime = Math.max(order.updateTime, at);
  emitOrderStatusPush(rt, order);
}

/** Applies scripted status changes whose time has come on the sandbox clock. */
export function applyDueOrderChanges(rt: ShopeeRuntime, only?: ShopeeOrder): void {
  const now = rt.nowSeconds();
  const orders = only ? [only] : rt.store.orders.values();
  for (const order of orders) {
    while (order.scheduled.length > 0 && (order.scheduled[0]?.at ?? Number.POSITIVE_INFINITY) <= now) {
      const next = order.scheduled.shift();
      if (next) changeOrderStatus(rt, order, next.status, next.at);
    }
  }
}
