import { BeforeApplicationShutdown, Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SaleEvent, SaleEventHub } from '../../application/events/sale-event-hub.service';
import { parseSaleId } from '../../domain/sale/sale-id.value-object';
import { Access } from './access/access.decorator';
import { sendRejection } from './problem-details';
import { InvalidParam, param } from './request-params';
import { EventStream, eventFrame, openEventStream } from './server-sent-events';

// One event goes to every open page: encode it once, not once per page.
const frames = new WeakMap<SaleEvent, string>();
function frameOf(event: SaleEvent): string {
  let frame = frames.get(event);
  if (!frame) frames.set(event, (frame = eventFrame(event.type, event.data)));
  return frame;
}

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
      return { send: (e) => stream!.sendFrame(frameOf(e)), close: () => stream!.close() };
    });
    if (!watching.ok) return void sendRejection(reply, watching.error);
    stream!.onClose(watching.value);
  }

  /** Drops the hub's subscriptions and timers (the streams themselves are ended when the server closes). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.hub.closeAll();
  }
}
