/**
 * Inventory simulator: the materials system of the procedure flow. Items (stock and reorder level) are
 * seeded by the caller. `POST /consumptions` `{ item, quantity, location }` lowers the stock and answers
 * 201 `{ consumptionId, item, quantity, location, stockAfter, reorderLevel }`; an unknown item is 422, more
 * than the stock 409, a malformed body 400. `POST /consumptions/:id/reverse` (the compensation) restores the
 * stock once: 200 `{ consumptionId, reversed: true, stockAfter }`, again 200 without restoring twice, 404
 * when unknown. `GET /items/:item` answers `{ item, stock, reorderLevel }`. De-duplicated by
 * Idempotency-Key (required on POSTs), with the behaviours of http-peer.ts.
 */
import { startHttpPeer, type HttpPeer, type PeerAnswer } from './http-peer.ts';
import { isObject } from './record-peer.ts';

export interface InventoryItem {
  item: string;
  stock: number;
  reorderLevel: number;
}

export interface Consumption {
  consumptionId: string;
  item: string;
  quantity: number;
  location: string;
  reversed: boolean;
}

export interface InventorySimulator extends HttpPeer {
  /** Current stock of an item; undefined when unknown. */
  stock(item: string): number | undefined;
  /** Adds or replaces an item. */
  seed(item: InventoryItem): void;
  consumptions(): Consumption[];
}

export interface InventorySimulatorOptions {
  items?: InventoryItem[];
  port?: number;
  host?: string;
}

export async function startInventorySimulator(opts: InventorySimulatorOptions = {}): Promise<InventorySimulator> {
  const items = new Map<string, InventoryItem>();
  const consumptions = new Map<string, Consumption>();
  const seed = (i: InventoryItem) => void items.set(i.item, { ...i });
  for (const i of opts.items ?? []) seed(i);

  const consume = (body: unknown): PeerAnswer => {
    const b = isObject(body) ? body : {};
    const { item, quantity, location } = b;
    if (typeof item !== 'string' || typeof location !== 'string' || typeof quantity !== 'number' || !(quantity > 0))
      return { status: 400, body: { error: 'item, quantity (> 0) and location are required' } };
    const stocked = items.get(item);
    if (!stocked) return { status: 422, body: { error: 'unknown item', item } };
    if (quantity > stocked.stock) return { status: 409, body: { error: 'insufficient stock', item, stock: stocked.stock } };
    stocked.stock -= quantity;
    const consumptionId = `CON-${String(consumptions.size + 1).padStart(6, '0')}`;
    consumptions.set(consumptionId, { consumptionId, item, quantity, location, reversed: false });
    const answer = { consumptionId, item, quantity, location, stockAfter: stocked.stock, reorderLevel: stocked.reorderLevel };
    return { status: 201, body: answer };
  };
  const reverse = (id: string): PeerAnswer => {
    const c = consumptions.get(id);
    const stocked = c && items.get(c.item);
    if (!c || !stocked) return { status: 404, body: { error: 'unknown consumption' } };
    if (!c.reversed) stocked.stock += c.quantity;
    c.reversed = true;
    return { status: 200, body: { consumptionId: id, reversed: true, stockAfter: stocked.stock } };
  };

  const peer = await startHttpPeer({
    name: 'inventory simulator',
    port: opts.port,
    host: opts.host,
    routes: [
      { method: 'POST', path: '/consumptions', handler: ({ body }) => consume(body) },
      { method: 'POST', path: '/consumptions/:id/reverse', handler: ({ params }) => reverse(params.id ?? '') },
      {
        method: 'GET',
        path: '/items/:item',
        handler: ({ params }) => {
          const i = items.get(params.item ?? '');
          return i ? { status: 200, body: { ...i } } : { status: 404, body: { error: 'unknown item' } };
        },
      },
    ],
  });
  return {
    ...peer,
    stock: (item) => items.get(item)?.stock,
    seed,
    consumptions: () => [...consumptions.values()].map((c) => ({ ...c })),
  };
}
