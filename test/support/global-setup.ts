/**
 * The suite talks to a real Redis and PostgreSQL and wipes them between tests, so it refuses to run unless
 * it was started through `npm test` (scripts/test.sh), which points it at the test database and Redis db.
 */
export default function globalSetup(): void {
  if (process.env.FLASHSALE_TEST_ENV !== '1') {
    throw new Error('Run the suite with `npm test`: it sets up and points the tests at their own database and Redis db.');
  }
}
