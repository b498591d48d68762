/** The application's notion of "now", replaceable in tests. Redis's clock stays the authority in scripts. */
export abstract class Clock {
  abstract now(): Date;
}
