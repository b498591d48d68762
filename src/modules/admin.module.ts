import { Module } from '@nestjs/common';
import { DashboardUseCase } from '../application/dashboard/dashboard.use-case';
import { AdminTokenGuard } from '../interfaces/http/admin/admin-token.guard';
import { AdminHttpController } from '../interfaces/http/admin/admin.http.controller';
import { OrdersModule } from './orders.module';
import { SalesModule } from './sales.module';

/** The admin API and the dashboard's data, behind ADMIN_TOKEN. */
@Module({
  imports: [SalesModule, OrdersModule],
  controllers: [AdminHttpController],
  providers: [DashboardUseCase, AdminTokenGuard],
})
export class AdminModule {}
