/** Fresh identifiers: unguessable checkout tokens and order ids. */
export abstract class IdGenerator {
  /** URL-safe random token of at least 16 characters. */
  abstract checkoutToken(): string;
  /** A UUID for a new order. */
  abstract orderId(): string;
  /** A new account's user id (fits the user id rules). */
  abstract userId(): string;
  /** A session token: 256 random bits, URL-safe. */
  abstract sessionToken(): string;
  /** Six random digits. */
  abstract oneTimeCode(): string;
  /** A uniformly random fraction in [0, 1) as a decimal string: a waiting line's lottery key. */
  abstract lotteryKey(): string;
}
