import { Injectable } from '@nestjs/common';
import { DeadLetter, OrderQueue } from '../order-pipeline/order-queue.port';

/** Lists the order jobs that failed every attempt, and queues them again once the cause is fixed. */
@Injectable()
export class DeadLettersUseCase {
  constructor(private readonly queue: OrderQueue) {}

  list(limit = 100): Promise<DeadLetter[]> {
    return this.queue.deadLetters(limit);
  }

  retry(jobIds?: readonly string[]): Promise<number> {
    return this.queue.retryDeadLetters(jobIds);
  }
}
