/**
 * Get Warehouse List (logistics/202309/warehouses): where an adapter finds the `warehouse_id` that
 * Create/Edit Product require on every SKU's inventory.
 */
import type { Endpoint } from '../gateway.js';
import { warehousesOf } from '../store.js';

export const logisticsEndpoints: Endpoint[] = [
  // logistics/202309/warehouses (Get Warehouse List)
  {
    method: 'GET',
    module: 'logistics',
    pattern: 'warehouses',
    name: 'Get Warehouse List',
    shopCipher: 'required',
    handle: (call) => ({
      warehouses: call.shop
        ? warehousesOf(call.shop).map((warehouse) => ({
            id: warehouse.id,
            entity_id: warehouse.id,
            name: warehouse.name,
            effect_status: warehouse.effectStatus,
            type: warehouse.type,
            sub_type: 'DOMESTIC_WAREHOUSE',
            is_default: warehouse.isDefault,
            address: {
              region: 'Indonesia',
              state: 'Banten',
              city: warehouse.city,
              distict: 'Serpong',
              contact_person: 'Dekranasda',
              postal_code: '15310',
              full_address: `Jl. Raya Serpong, ${warehouse.city}`,
              region_code: 'ID',
              phone_number: '(+62)812****21',
            },
          }))
        : [],
    }),
  },
];
