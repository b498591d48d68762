import { Module } from '@nestjs/common';
import { PurchaseUseCase } from '../application/purchase/purchase.use-case';
import { SalesModule } from './sales.module';

/** Purchase: buying a checkout, atomically, in the ledger. */
@Module({ imports: [SalesModule], providers: [PurchaseUseCase], exports: [PurchaseUseCase] })
export class PurchaseModule {}
