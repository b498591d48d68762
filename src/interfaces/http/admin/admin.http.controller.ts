import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DashboardUseCase } from '../../../application/dashboard/dashboard.use-case';
import { DeadLettersUseCase } from '../../../application/orders/dead-letters.use-case';
import { ReconcileOrdersUseCase } from '../../../application/orders/reconcile-orders.use-case';
import { UserPurchasesUseCase } from '../../../application/orders/user-purchases.use-case';
import { OrderQueue } from '../../../application/order-pipeline/order-queue.port';
import { CreateSaleUseCase } from '../../../application/sales/create-sale.use-case';
import { ListSalesUseCase } from '../../../application/sales/list-sales.use-case';
import { PauseSaleUseCase } from '../../../application/sales/pause-sale.use-case';
import { SaleId, parseSaleId } from '../../../domain/sale/sale-id.value-object';
import { parseUserId } from '../../../domain/user/user-id.value-object';
import { Access } from '../access/access.decorator';
import { USER_ID_EXPECTED } from '../buyer';
import { sendRejection } from '../problem-details';
import { InvalidParam, intInRange, optionalParam, param } from '../request-params';
import { openEventStream } from '../server-sent-events';
import { AdminTokenGuard } from './admin-token.guard';
import { CreateSaleDto, ReconcileDto, RetryDeadLettersDto, validBody } from './admin.dto';

const DASHBOARD_INTERVAL_MS = 1_000;
const saleIdParam = (params: Record<string, unknown>) => param(params, ['id'], parseSaleId, 'a positive integer sale id');

/**
 * The admin API, /admin/...: the same use cases as the CLI, as JSON, behind the admin token. Also the
 * dashboard's data: a snapshot, and a stream of them every second (Server-Sent Events).
 */
@Controller('admin')
@Access({ group: 'admin', caller: 'none' })
@UseGuards(AdminTokenGuard)
export class AdminHttpController {
  constructor(
    private readonly dashboard: DashboardUseCase,
    private readonly createSale: CreateSaleUseCase,
    private readonly listSales: ListSalesUseCase,
    private readonly pauseSale: PauseSaleUseCase,
    private readonly userPurchases: UserPurchasesUseCase,
    private readonly reconcile: ReconcileOrdersUseCase,
    private readonly deadLetters: DeadLettersUseCase,
    private readonly queue: OrderQueue,
  ) {}

  @Get('dashboard')
  snapshot() {
    return this.dashboard.snapshot();
  }

  @Get('events')
  events(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const stream = openEventStream(request, reply);
    const tick = async () => {
      try {
        stream.send('stats', await this.dashboard.snapshot());
      } catch {
        // A dependency is down: the next tick tries again, and health in the snapshot says why.
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), DASHBOARD_INTERVAL_MS);
    stream.onClose(() => clearInterval(timer));
  }

  @Get('sales')
  async sales(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const limit = optionalParam(query, 'limit', intInRange(1, 500), 'an integer from 1 to 500', 20);
    if (limit instanceof InvalidParam) return limit.send(reply);
    return reply.send({ sales: await this.listSales.recent(limit) });
  }

  @Post('sales')
  async create(@Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const dto = validBody(CreateSaleDto, body);
    if (dto instanceof InvalidParam) return dto.send(reply);
    const result = await this.createSale.execute({
      startsAt: new Date(dto.startsAt),
      endsAt: new Date(dto.endsAt),
      itemsTotal: dto.items,
      saleCap: dto.saleCap,
      perUserLimit: dto.perUserLimit,
      unitsPerItem: dto.unitsPerItem,
      onePurchasePerUser: dto.onePurchasePerUser,
    });
    return result.ok ? reply.code(201).send(result.value) : sendRejection(reply, result.error);
  }

  @Get('sales/:id')
  async show(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    const result = await this.listSales.report(id);
    return result.ok ? reply.send(result.value) : sendRejection(reply, result.error);
  }

  @Post('sales/:id/pause')
  @HttpCode(200)
  pause(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.setPaused(params, reply, (id) => this.pauseSale.pause(id));
  }

  @Post('sales/:id/resume')
  @HttpCode(200)
  resume(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.setPaused(params, reply, (id) => this.pauseSale.resume(id));
  }

  @Get('sales/:id/users/:userId/purchases')
  async purchases(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    const userId = param(params, ['userId'], parseUserId, USER_ID_EXPECTED);
    if (userId instanceof InvalidParam) return userId.send(reply);
    const result = await this.userPurchases.execute(id, userId);
    return result.ok ? reply.send(result.value) : sendRejection(reply, result.error);
  }

  @Post('orders/reconcile')
  @HttpCode(200)
  async reconcileOrders(@Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const dto = validBody(ReconcileDto, body);
    if (dto instanceof InvalidParam) return dto.send(reply);
    const report = await this.reconcile.execute(dto.graceMs, dto.saleId ? [dto.saleId as SaleId] : undefined, dto.force ?? false);
    return reply.send({ sales: report });
  }

  @Get('queue')
  queueStatus() {
    return this.queue.counts();
  }

  @Get('queue/failed')
  async failed(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const limit = optionalParam(query, 'limit', intInRange(1, 1000), 'an integer from 1 to 1000', 100);
    if (limit instanceof InvalidParam) return limit.send(reply);
    return reply.send({ deadLetters: await this.deadLetters.list(limit) });
  }

  @Post('queue/retry')
  @HttpCode(200)
  async retry(@Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const dto = validBody(RetryDeadLettersDto, body);
    if (dto instanceof InvalidParam) return dto.send(reply);
    return reply.send({ retried: await this.deadLetters.retry(dto.jobIds) });
  }

  private async setPaused(
    params: Record<string, unknown>,
    reply: FastifyReply,
    run: (id: SaleId) => ReturnType<PauseSaleUseCase['pause']>,
  ) {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    const result = await run(id);
    return result.ok ? reply.send(result.value) : sendRejection(reply, result.error);
  }
}
