import { MAIN } from '../lib/instances';
import { mainSale } from '../lib/sales';
import { TARGETS } from '../lib/settings';
import type { LoadScenario } from '../lib/scenario';

/* The sale reads buyers' pages make, on the main sale (10,000 items by default); the same request each time. */

function read(name: string, label: string, path: (saleId: number) => string, body: (saleId: number) => string): LoadScenario {
  return {
    name,
    group: 'reads',
    label,
    on: MAIN,
    target: TARGETS.saleRead,
    load: async (ctx) => {
      const sale = await mainSale(ctx);
      return { script: 'static', path: path(sale.id), expect: { status: 200, body: body(sale.id) } };
    },
  };
}

export const readActive = read(
  'read-active',
  'GET /sales/active',
  () => '/sales/active',
  (id) => `"id":${id}`,
);

export const READS: readonly LoadScenario[] = [
  readActive,
  read(
    'read-sale',
    'GET /sales/:id',
    (id) => `/sales/${id}`,
    (id) => `"id":${id}`,
  ),
  read(
    'read-items',
    'GET /sales/:id/items (the first page: 100 items)',
    (id) => `/sales/${id}/items`,
    () => '"items":[{"id":',
  ),
];
