import { composeCheckoutCode, parseCheckoutCode } from '../../../src/domain/checkout/checkout-code.value-object';
import { parseItemId } from '../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { itemName } from '../../../src/domain/sale/item-names';
import { parseUserId } from '../../../src/domain/user/user-id.value-object';

describe('user ids', () => {
  it.each(['a', 'user-1', 'A.b:c_d-9', 'x'.repeat(64)])('accepts %s', (id) => expect(parseUserId(id)).toBe(id));
  it.each(['', 'x'.repeat(65), 'has space', 'é', 'a/b', 'a\nb', '<script>'])('refuses %j', (id) => expect(parseUserId(id)).toBeNull());
  it('refuses non-strings', () => {
    expect(parseUserId(['a'])).toBeNull();
    expect(parseUserId(7)).toBeNull();
  });
});

describe('item ids', () => {
  it.each([
    ['1', 1],
    ['2147483647', 2147483647],
  ])('accepts %s', (raw, n) => expect(parseItemId(raw)).toBe(n));
  it.each(['0', '-1', '01', '1.5', '1e3', '2147483648', ' 1', '', 'abc'])('refuses %j', (raw) => expect(parseItemId(raw)).toBeNull());
});

describe('checkout codes', () => {
  it('carry their sale id', () => {
    const code = composeCheckoutCode(42 as SaleId, 'AbCdEfGhIjKlMnOpQrStUv');
    expect(code).toBe('42-AbCdEfGhIjKlMnOpQrStUv');
    expect(parseCheckoutCode(code)).toEqual({ code, saleId: 42 });
  });

  it.each(['', '42', '42-short', 'x-AbCdEfGhIjKlMnOpQrStUv', '0-AbCdEfGhIjKlMnOpQrStUv', '42-AbCdEfGhIjKlMnOp$rStUv'])(
    'refuses %j',
    (raw) => expect(parseCheckoutCode(raw)).toBeNull(),
  );
});

describe('item names', () => {
  it('are stable and distinct within a sale', () => {
    expect(itemName(0)).toBe(itemName(0));
    const names = Array.from({ length: 10_000 }, (_, i) => itemName(i));
    expect(new Set(names).size).toBe(10_000);
  });
});
