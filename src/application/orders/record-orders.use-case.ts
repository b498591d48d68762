import { Injectable } from '@nestjs/common';
import { Order } from '../../domain/order/order.entity';
import { OrderRepository } from '../ports/order.repository.port';

/** Writes a batch of acknowledged orders to PostgreSQL, idempotently. Returns how many were new. */
@Injectable()
export class RecordOrdersUseCase {
  constructor(private readonly orders: OrderRepository) {}

  execute(orders: readonly Order[]): Promise<number> {
    return this.orders.saveBatch(orders);
  }
}
