import { Module } from '@nestjs/common';
import { CheckoutUseCase } from '../application/checkout/checkout.use-case';
import { SalesModule } from './sales.module';

/** Checkout: adding items of the running sale to a user's checkout. */
@Module({ imports: [SalesModule], providers: [CheckoutUseCase], exports: [CheckoutUseCase] })
export class CheckoutModule {}
