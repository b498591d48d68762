import { CheckoutFacts, checkoutVerdict, purchaseItemVerdict } from '../../../src/domain/sale/sale-rules';

const open: CheckoutFacts = {
  phase: 'open',
  paused: false,
  unitsLeft: 1,
  saleSold: 0,
  saleCap: 100,
  alreadyInCheckout: false,
  userBought: 0,
  itemsInCheckout: 0,
  perUserLimit: 10,
  onePurchasePerUser: false,
  userPurchases: 0,
};

describe('checkoutVerdict', () => {
  it('adds an available item', () => {
    expect(checkoutVerdict(open)).toBe('add');
  });

  it.each<[string, Partial<CheckoutFacts>, string]>([
    ['before the sale', { phase: 'scheduled' }, 'sale_not_started'],
    ['after the sale', { phase: 'ended' }, 'no_active_sale'],
    ['while paused', { paused: true }, 'sale_paused'],
    ['an item not in the sale', { unitsLeft: null }, 'item_not_found'],
    ['a sold item', { unitsLeft: 0 }, 'item_sold_out'],
    ['when the cap is reached', { saleSold: 100 }, 'sale_sold_out'],
    ['past the limit by purchases', { userBought: 10 }, 'user_limit_reached'],
    ['past the limit by purchases plus checkout', { userBought: 6, itemsInCheckout: 4 }, 'user_limit_reached'],
    ['a second purchase in a one-purchase sale', { onePurchasePerUser: true, userPurchases: 1, userBought: 1 }, 'user_limit_reached'],
  ])('refuses %s', (_name, facts, code) => {
    expect(checkoutVerdict({ ...open, ...facts })).toBe(code);
  });

  it('accepts a first purchase, and more items for it, in a one-purchase sale', () => {
    expect(checkoutVerdict({ ...open, onePurchasePerUser: true, userPurchases: 0, itemsInCheckout: 3 })).toBe('add');
  });

  it('accepts the last item within the limit', () => {
    expect(checkoutVerdict({ ...open, userBought: 6, itemsInCheckout: 3 })).toBe('add');
  });

  it('is idempotent for an item already in the checkout, even past the limit or the cap', () => {
    expect(checkoutVerdict({ ...open, alreadyInCheckout: true, itemsInCheckout: 4, userBought: 10, saleSold: 100 })).toBe('unchanged');
  });

  it('reports an item sold out since it was added to the checkout as sold out: it can no longer be bought', () => {
    expect(checkoutVerdict({ ...open, alreadyInCheckout: true, unitsLeft: 0 })).toBe('item_sold_out');
  });

  it('reports what is final about the item before a pause: a sold-out or unknown item stays so', () => {
    expect(checkoutVerdict({ ...open, paused: true, unitsLeft: 0 })).toBe('item_sold_out');
    expect(checkoutVerdict({ ...open, paused: true, unitsLeft: null })).toBe('item_not_found');
    expect(checkoutVerdict({ ...open, paused: true, alreadyInCheckout: true })).toBe('sale_paused');
  });

  it('checks the window before the item: an unknown item in a closed sale is "no active sale"', () => {
    expect(checkoutVerdict({ ...open, phase: 'ended', unitsLeft: null })).toBe('no_active_sale');
  });

  it('reports a sold item before the cap or the limit', () => {
    expect(checkoutVerdict({ ...open, unitsLeft: 0, saleSold: 100, userBought: 10 })).toBe('item_sold_out');
  });
});

describe('purchaseItemVerdict', () => {
  const fresh = { unitsLeft: 1, userBought: 0, perUserLimit: 2, saleSold: 0, saleCap: 10, purchasedBefore: false };

  it('buys an available item', () => {
    expect(purchaseItemVerdict(fresh)).toBe('buy');
  });

  it('refuses every item to a user who already bought in a one-purchase sale', () => {
    expect(purchaseItemVerdict({ ...fresh, purchasedBefore: true })).toBe('user_limit_reached');
  });

  it('refuses in the documented order: sold out, then limit, then cap', () => {
    expect(purchaseItemVerdict({ ...fresh, unitsLeft: 0, userBought: 2, saleSold: 10 })).toBe('item_sold_out');
    expect(purchaseItemVerdict({ ...fresh, userBought: 2, saleSold: 10 })).toBe('user_limit_reached');
    expect(purchaseItemVerdict({ ...fresh, userBought: 1, saleSold: 10 })).toBe('sale_sold_out');
  });
});
