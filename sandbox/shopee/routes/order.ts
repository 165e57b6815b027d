import type { FastifyInstance } from 'fastify';
import { queryValue, shopApi } from '../api.js';
import { WithWarning } from '../envelope.js';
import { ShopeeError, shopeeErrors } from '../errors.js';
import { applyDueOrderChanges } from '../orders.js';
import type { ShopeeRuntime } from '../runtime.js';
import type { ShopeeOrder } from '../store.js';
import { intParam, listParam } from '../validation.js';
import { imageUrl } from '../views.js';

/** Fields of get_order_detail that are only returned when named in `response_optional_fields`. */
function optionalFields(rt: ShopeeRuntime, order: ShopeeOrder): Record<string, () => unknown> {
  return {
    buyer_user_id: () => order.buyerUserId,
    buyer_username: () => order.buyerUsername,
    estimated_shipping_fee: () => order.shippingFee,
    actual_shipping_fee: () => order.shippingFee,
    recipient_address: () => ({ ...order.recipient, region: 'ID', town: '' }),
    goods_to_declare: () => false,
    note: () => '',
    note_update_time: () => 0,
    item_list: () =>
      order.lines.map((line) => ({
        item_id: line.itemId,
        item_name: line.itemName,
        item_sku: line.itemSku,
        model_id: line.modelId,
        model_name: line.modelName,
        model_sku: line.modelSku,
        model_quantity_purchased: line.quantity,
        model_original_price: line.originalPrice,
        model_discounted_price: line.discountedPrice,
        wholesale: false,
        weight: line.weight,
        add_on_deal: false,
        main_item: false,
        add_on_deal_id: 0,
        promotion_type: '',
        promotion_id: 0,
        order_item_id: line.orderItemId,
        promotion_group_id: 0,
        image_info: { image_url: line.imageId === undefined ? '' : imageUrl(rt, line.imageId) },
        product_location_id: ['IDZ'],
        is_prescription_item: false,
        is_b2c_owned_item: false,
      })),
    pay_time: () => order.payTime ?? 0,
    dropshipper: () => '',
    dropshipper_phone: () => '',
    split_up: () => false,
    cancel_by: () => (order.status === 'CANCELLED' ? 'buyer' : ''),
    cancel_reason: () => order.cancelReason,
    buyer_cancel_reason: () => order.cancelReason,
    fulfillment_flag: () => 'fulfilled_by_local_seller',
    pickup_done_time: () => 0,
    package_list: () => [
      {
        package_number: `OFG${order.orderSn}`,
        logistics_status:
          order.status === 'SHIPPED' || order.status === 'COMPLETED'
            ? 'LOGISTICS_PICKUP_DONE'
            : 'LOGISTICS_READY',
        shipping_carrier: 'SPX Standard',
        item_list: order.lines.map((l) => ({
          item_id: l.itemId,
          model_id: l.modelId,
          model_quantity: l.quantity,
        })),
      },
    ],
    shipping_carrier: () => 'SPX Standard',
    payment_method: () => order.paymentMethod,
    total_amount: () => order.totalAmount,
    invoice_data: () => null,
    order_chargeable_weight_gram: () =>
      Math.round(order.lines.reduce((sum, l) => sum + l.weight * l.quantity, 0) * 1000),
  };
}

const orderStatusFilter: readonly string[] = [
  'UNPAID',
  'READY_TO_SHIP',
  'PROCESSED',
  'SHIPPED',
  'COMPLETED',
  'IN_CANCEL',
  'CANCELLED',
  'INVOICE_PENDING',
];

export function registerOrderRoutes(app: FastifyInstance, rt: ShopeeRuntime): void {
  // v2.order.get_order_list — at most 15 days between time_from and time_to; cursor paging.
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/order/get_order_list',
    handler: ({ query, shopId }) => {
      const field = queryValue(query, 'time_range_field');
      if (field === undefined) throw shopeeErrors.required('time_range_field');
      if (field !== 'create_time' && field !== 'update_time')
        throw shopeeErrors.param(
          'Wrong parameters, detail: time_range_field should be create_time or update_time.',
        );
      const from = intParam(query, 'time_from', { required: true }) ?? 0;
      const to = intParam(query, 'time_to', { required: true }) ?? 0;
      if (from > to || to - from > rt.config.orderListMaxWindowSeconds) {
        throw new ShopeeError(
          'order.order_list_invalid_time',
          'Start time must be earlier than end time and diff in 15days.',
        );
      }
      const pageSize = intParam(query, 'page_size', { required: true }) ?? 0;
      if (pageSize < 1 || pageSize > 100)
        throw shopeeErrors.param('Wrong parameters, detail: page_size should be between 1 and 100.');
      const cursor = queryValue(query, 'cursor') ?? '';
      if (cursor !== '' && !/^\d+$/.test(cursor))
        throw shopeeErrors.param('Wrong parameters, detail: cursor is invalid.');
      const offset = cursor === '' ? 0 : Number(cursor);
      const status = queryValue(query, 'order_status');
      // The filter takes the statuses the reference lists, not every status an order can have.
      if (status !== undefined && !orderStatusFilter.includes(status))
        throw shopeeErrors.param(`Wrong parameters, detail: order_status ${status} is invalid.`);
      const withStatus = listParam(query, 'response_optional_fields').includes('order_status');
      applyDueOrderChanges(rt);
      const time = (o: ShopeeOrder) => (field === 'create_time' ? o.createTime : o.updateTime);
      const matching = [...rt.store.orders.values()]
        .filter(
          (o) =>
            o.shopId === shopId &&
            time(o) >= from &&
            time(o) <= to &&
            (status === undefined || o.status === status),
        )
        .sort((a, b) => time(a) - time(b) || a.orderSn.localeCompare(b.orderSn));
      const page = matching.slice(offset, offset + pageSize);
      const more = offset + pageSize < matching.length;
      return {
        more,
        next_cursor: more ? String(offset + pageSize) : '',
        order_list: page.map((o) =>
          withStatus ? { order_sn: o.orderSn, order_status: o.status } : { order_sn: o.orderSn },
        ),
      };
    },
  });

  // v2.order.get_order_detail — 1..50 order_sn; most fields opt-in via response_optional_fields.
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/order/get_order_detail',
    handler: ({ query, shopId }) => {
      const sns = listParam(query, 'order_sn_list');
      if (sns.length < 1 || sns.length > 50)
        throw shopeeErrors.param(
          'Wrong parameters, detail: order_sn_list length should be between 1 and 50.',
        );
      const wanted = listParam(query, 'response_optional_fields');
      applyDueOrderChanges(rt);
      const found = [];
      const missing = [];
      for (const sn of sns) {
        const order = rt.store.orders.get(sn);
        if (!order || order.shopId !== shopId) {
          missing.push(sn);
          continue;
        }
        const base: Record<string, unknown> = {
          order_sn: order.orderSn,
          region: 'ID',
          currency: 'IDR',
          cod: order.paymentMethod === 'COD',
          order_status: order.status,
          create_time: order.createTime,
          update_time: order.updateTime,
          days_to_ship: order.daysToShip,
          ship_by_date: order.createTime + order.daysToShip * 86_400,
          message_to_seller: order.messageToSeller,
          reverse_shipping_fee: 0,
        };
        const optional = optionalFields(rt, order);
        for (const name of wanted) {
          const value = optional[name];
          if (value) base[name] = value();
        }
        found.push(base);
      }
      const response = { order_list: found };
      return missing.length > 0
        ? new WithWarning(response, [`order_sn not found: ${missing.join(',')}`])
        : response;
    },
  });
}
