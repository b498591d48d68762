import { Provider } from '@nestjs/common';
import { AdminSettings } from '../../application/access/admin-settings';
import { RATE_LIMIT_GROUPS, RateLimitGroup, RateLimitPolicy, RateLimitSettings, parseRateLimit } from '../../application/access/rate-limit';
import { CheckoutAttemptsSettings } from '../../application/analytics/checkout-attempts-settings';
import { AuthSettings } from '../../application/identity/auth-settings';
import { OrderPipelineSettings } from '../../application/order-pipeline/order-pipeline-settings';
import { ReconcileSettings } from '../../application/orders/reconcile-settings';
import { SaleSettings } from '../../application/sales/sale-settings';
import { WaitingRoomSettings } from '../../application/line/waiting-room-settings';
import { AppConfig } from './app-config';

/**
 * The one place where configuration becomes the small settings objects the application layer owns. Doors
 * and use cases see these, never AppConfig, so they do not depend on how settings are read.
 */
export function settingsProviders(): Provider[] {
  const from = <T>(provide: abstract new (...a: never[]) => T, make: (c: AppConfig) => T): Provider => ({
    provide,
    useFactory: make,
    inject: [AppConfig],
  });
  return [
    from(
      SaleSettings,
      (c) =>
        new SaleSettings(
          c.SALE_DURATION_SECONDS * 1000,
          {
            itemsTotal: c.SALE_ITEMS,
            saleCap: c.SALE_CAP,
            perUserLimit: c.SALE_PER_USER_LIMIT,
            unitsPerItem: c.SALE_UNITS_PER_ITEM,
            onePurchasePerUser: c.SALE_ONE_PURCHASE_PER_USER,
          },
          c.SALE_RETENTION_SECONDS * 1000,
          c.SALE_SCHEDULER_ENABLED,
          c.SALE_SCHEDULER_INTERVAL_MS,
          c.SALE_KEEPER_INTERVAL_MS,
        ),
    ),
    from(
      AuthSettings,
      (c) =>
        new AuthSettings(
          c.AUTH_MODE,
          c.SESSION_TTL_SECONDS * 1000,
          c.OTP_TTL_SECONDS * 1000,
          c.OTP_MAX_ATTEMPTS,
          c.SESSION_COOKIE_SECURE,
          c.SESSION_CACHE_MS,
        ),
    ),
    from(RateLimitSettings, rateLimitSettings),
    from(ReconcileSettings, (c) => new ReconcileSettings(c.RECONCILE_GRACE_MS, c.RECONCILE_INTERVAL_MS)),
    from(
      OrderPipelineSettings,
      (c) =>
        new OrderPipelineSettings(
          c.ORDER_BATCH_SIZE,
          c.WORKER_ENABLED || c.WORKER_ONLY,
          c.WORKER_CONCURRENCY,
          c.ORDER_MAX_ATTEMPTS,
          c.ORDER_RETRY_BACKOFF_MS,
        ),
    ),
    from(CheckoutAttemptsSettings, () => new CheckoutAttemptsSettings()),
    from(AdminSettings, (c) => new AdminSettings(c.ADMIN_TOKEN)),
    from(
      WaitingRoomSettings,
      (c) =>
        new WaitingRoomSettings(
          c.WAITING_ROOM === 'on',
          c.WAITING_ROOM_OPENS_BEFORE_SECONDS * 1000,
          c.WAITING_ROOM_ADMIT_PER_SECOND,
          c.WAITING_ROOM_ADMISSION_SECONDS * 1000,
          c.WAITING_ROOM_ADMITTED_PER_UNIT,
          c.WAITING_ROOM_HEARTBEAT_SECONDS * 1000,
          // Off, nothing is signed; the config refuses WAITING_ROOM=on without a secret.
          c.WAITING_ROOM_SECRET ?? '',
          c.WAITING_ROOM_POW_BITS,
          c.SALE_RETENTION_SECONDS * 1000,
        ),
    ),
  ];
}

/** RATE_LIMIT and RATE_LIMIT_<GROUP>_<IP|USER>, already checked by the config's validation. */
function rateLimitSettings(c: AppConfig): RateLimitSettings {
  const policy = (name: string): RateLimitPolicy | null => parseRateLimit(String(c[name as keyof AppConfig])) ?? null;
  const groups = Object.fromEntries(
    RATE_LIMIT_GROUPS.map((g) => [
      g,
      { ip: policy(`RATE_LIMIT_${g.toUpperCase()}_IP`), user: policy(`RATE_LIMIT_${g.toUpperCase()}_USER`) },
    ]),
  ) as Record<RateLimitGroup, { ip: RateLimitPolicy | null; user: RateLimitPolicy | null }>;
  return new RateLimitSettings(c.RATE_LIMIT === 'on', groups);
}
