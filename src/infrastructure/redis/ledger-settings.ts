import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/** What the ledger's scripts are told about lifetimes, from configuration. */
@Injectable()
export class LedgerSettings {
  /** How long a sale's keys stay after the sale ends. */
  readonly retentionMs: number;
  /** How long an Idempotency-Key's record keeps its answer. */
  readonly idempotencyTtlMs: number;

  constructor(config: AppConfig) {
    this.retentionMs = config.SALE_RETENTION_SECONDS * 1000;
    this.idempotencyTtlMs = config.IDEMPOTENCY_KEY_TTL_SECONDS * 1000;
  }
}
