import { Module } from '@nestjs/common';
import { CheckoutUseCase } from '../application/checkout/checkout.use-case';
import { CheckoutHttpController } from '../interfaces/http/checkout.http.controller';
import { SalesModule } from './sales.module';

/** Checkout: adding items of the running sale to a user's checkout. */
@Module({
  imports: [SalesModule],
  controllers: [CheckoutHttpController],
  providers: [CheckoutUseCase],
  exports: [CheckoutUseCase],
})
export class CheckoutModule {}
