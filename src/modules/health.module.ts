import { Module } from '@nestjs/common';
import { HealthHttpController } from '../interfaces/http/health.http.controller';
import { OrdersModule } from './orders.module';

@Module({
  imports: [OrdersModule],
  controllers: [HealthHttpController],
})
export class HealthModule {}
