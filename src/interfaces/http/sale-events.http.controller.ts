import { BeforeApplicationShutdown, Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SaleEventHub } from '../../application/events/sale-event-hub.service';
import { parseSaleId } from '../../domain/sale/sale-id.value-object';
import { Access } from './access/access.decorator';
import { sendRejection } from './problem-details';
import { InvalidParam, param } from './request-params';
import { EventStream, openEventStream } from './server-sent-events';

/** GET /sales/:id/events: the sale's live events as Server-Sent Events, for buyers' pages. No auth. */
@Controller('sales')
export class SaleEventsHttpController implements BeforeApplicationShutdown {
  constructor(private readonly hub: SaleEventHub) {}

  @Get(':id/events')
  @Access({ group: 'events', caller: 'none' })
  async events(@Param() params: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const id = param(params, ['id'], parseSaleId, 'a positive integer sale id');
    if (id instanceof InvalidParam) return void id.send(reply);
    let stream: EventStream | undefined;
    const watching = await this.hub.watch(id, () => {
      stream = openEventStream(request, reply);
      return { send: (e) => stream!.send(e.type, e.data), close: () => stream!.close() };
    });
    if (!watching.ok) return void sendRejection(reply, watching.error);
    stream!.onClose(watching.value);
  }

  /** Open streams would keep the server from closing: end them first. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.hub.closeAll();
  }
}
