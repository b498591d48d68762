/** Fresh identifiers: unguessable checkout tokens and order ids. */
export abstract class IdGenerator {
  /** URL-safe random token of at least 16 characters. */
  abstract checkoutToken(): string;
  /** A UUID for a new order. */
  abstract orderId(): string;
}
