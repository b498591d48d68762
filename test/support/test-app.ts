import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../../src/app.module';
import { OrderQueue } from '../../src/application/order-pipeline/order-queue.port';
import { SaleLoader } from '../../src/application/sales/sale-loader.service';
import { SaleRepository } from '../../src/application/sales/sale.repository.port';
import { SaleWindow } from '../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { SaleTerms } from '../../src/domain/sale/sale-terms.value-object';
import { itemNames } from '../../src/domain/sale/item-names';
import { AppConfig, loadConfig } from '../../src/infrastructure/config/app-config';
import { createHttpApp } from '../../src/modules/http-app';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The real application (same module, same Fastify setup as production) on a loopback port, against the test
 * Redis db and database. The recurring-sale scheduler is off: tests create the sales they need.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  // user_id from the request and no rate limits unless a test asks for them (auth and rate-limit tests do).
  // The keeper (every sale not ended loaded) is off: tests wipe Redis and the database under a running app, and
  // a keeper run caught between the two would load a sale the wipe is removing. Its own tests turn it on.
  const config = loadConfig({
    ...process.env,
    SALE_SCHEDULER_ENABLED: 'false',
    SALE_KEEPER_INTERVAL_MS: '0',
    LOG_LEVEL: 'warn',
    AUTH_MODE: 'trusted',
    RATE_LIMIT: 'off',
    ...env,
  });
  const app = await createHttpApp(AppModule.forRoot(config), config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, config, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** Object mother for sales: an open sale of a few items unless told otherwise. */
export interface SaleSpec extends Partial<SaleTerms> {
  /** When it starts relative to now (ms); default: it started a second ago. */
  readonly startsInMs?: number;
  readonly durationMs?: number;
}

export async function createOpenSale(t: TestApp, spec: SaleSpec = {}): Promise<Sale> {
  const terms: SaleTerms = {
    itemsTotal: spec.itemsTotal ?? 10,
    saleCap: spec.saleCap ?? spec.itemsTotal ?? 10,
    perUserLimit: spec.perUserLimit ?? 10,
    unitsPerItem: spec.unitsPerItem ?? 1,
    onePurchasePerUser: spec.onePurchasePerUser ?? false,
  };
  const start = new Date(Date.now() + (spec.startsInMs ?? -1000));
  const window = SaleWindow.of(start, new Date(start.getTime() + (spec.durationMs ?? 3_600_000)));
  const created = await t.app.get(SaleRepository).createWithItems(window, terms, itemNames(terms.itemsTotal));
  if (created.kind === 'overlaps') throw new Error(`test sale overlaps sale ${created.other.id}`);
  await t.app.get(SaleLoader).ensureLoaded(created.sale);
  return created.sale;
}

export async function itemIdsOf(t: TestApp, sale: Sale): Promise<number[]> {
  const rows = await t.app.get(SaleRepository).listItems(sale.id, null, 100_000);
  return rows.map((r) => r.id);
}

export async function queueDrained(t: TestApp): Promise<boolean> {
  return t.app.get(OrderQueue).isDrained();
}
