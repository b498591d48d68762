import type { Redis } from 'ioredis';
import { readScripts, runScript } from '../../../src/infrastructure/redis/lua-scripts';

/*
 * Each script's key count comes from its header comment and is checked on every call: a script whose keys
 * vary (KEYS[i], KEYS[w]) still takes at least the numbered keys its header documents.
 */
describe('scripts/lua headers', () => {
  const byName = new Map(readScripts().map((f) => [f.name, f]));

  it('give a fixed key count, or a minimum when the script also takes any number of windows', () => {
    expect(byName.get('checkout')).toEqual(expect.objectContaining({ numberOfKeys: 8, minimumKeys: 8 }));
    expect(byName.get('checkout-batch')).toEqual(expect.objectContaining({ numberOfKeys: null, minimumKeys: 7 }));
    expect(byName.get('purchase-batch')).toEqual(expect.objectContaining({ numberOfKeys: null, minimumKeys: 8 }));
    expect(byName.get('rate-limit')).toEqual(expect.objectContaining({ numberOfKeys: null, minimumKeys: 0 }));
  });

  it('refuse a call with fewer keys than the script documents, before anything is sent', () => {
    const connection = {} as Redis;
    expect(() => runScript(connection, 'checkout-batch', ['{sale:1}:meta'], [])).toThrow('checkout-batch.lua takes at least 7 keys, got 1');
    expect(() => runScript(connection, 'checkout', ['{sale:1}:meta'], [])).toThrow('checkout.lua takes 8 keys, got 1');
  });
});
