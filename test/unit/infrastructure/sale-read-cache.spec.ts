import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { SaleReadCache } from '../../../src/infrastructure/redis/sale-read-cache';

const A = 1 as SaleId;
const B = 2 as SaleId;

describe('SaleReadCache', () => {
  it("answers within the age from one read, and forgets one sale's reads at once (its own writes), not another's", async () => {
    const cache = new SaleReadCache();
    let reads = 0;
    const load = () => Promise.resolve(++reads);
    expect(await cache.read(A, 'live:1', 100, load)).toBe(1);
    expect(await cache.read(A, 'live:1', 100, load)).toBe(1);
    expect(await cache.read(B, 'live:2', 100, load)).toBe(2);
    cache.forget(A);
    expect(await cache.read(A, 'live:1', 100, load)).toBe(3);
    expect(await cache.read(B, 'live:2', 100, load)).toBe(2);
  });

  it('reads every time when no age is accepted (admin, reconciler, event snapshots)', async () => {
    const cache = new SaleReadCache();
    let reads = 0;
    await cache.read(A, 'live:1', 0, () => Promise.resolve(++reads));
    await cache.read(A, 'live:1', 0, () => Promise.resolve(++reads));
    expect(reads).toBe(2);
  });
});
