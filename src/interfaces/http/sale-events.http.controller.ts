import { BeforeApplicationShutdown, Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SaleEvent, SaleEventHub } from '../../application/events/sale-event-hub.service';
import { AuthSettings } from '../../application/identity/auth-settings';
import { AuthenticateUseCase } from '../../application/identity/authenticate.use-case';
import { WaitingRoomSettings } from '../../application/line/waiting-room-settings';
import { parseSaleId } from '../../domain/sale/sale-id.value-object';
import { UserId, parseUserId } from '../../domain/user/user-id.value-object';
import { credentialsOf } from './access/access.guard';
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

/**
 * GET /sales/:id/events: the sale's live events as Server-Sent Events, for buyers' pages. No auth needed;
 * with the waiting room on, a buyer who can be told apart (session cookie or bearer token, or user_id in
 * trusted mode) also gets their own place in line (line, admitted), and the stream is their heartbeat.
 */
@Controller('sales')
export class SaleEventsHttpController implements BeforeApplicationShutdown {
  constructor(
    private readonly hub: SaleEventHub,
    private readonly room: WaitingRoomSettings,
    private readonly auth: AuthSettings,
    private readonly authenticate: AuthenticateUseCase,
  ) {}

  @Get(':id/events')
  @Access({ group: 'events', caller: 'none' })
  async events(
    @Param() params: Record<string, unknown>,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const id = param(params, ['id'], parseSaleId, 'a positive integer sale id');
    if (id instanceof InvalidParam) return void id.send(reply);
    let stream: EventStream | undefined;
    const buyer = await this.buyerOf(request, query);
    const watching = await this.hub.watch(
      id,
      () => {
        stream = openEventStream(request, reply);
        return { send: (e) => stream!.sendFrame(frameOf(e)), close: () => stream!.close() };
      },
      buyer,
    );
    if (!watching.ok) return void sendRejection(reply, watching.error);
    stream!.onClose(watching.value);
  }

  /** The buyer watching, when the waiting room is on and they can be told apart; never a refusal here. */
  private async buyerOf(request: FastifyRequest, query: Record<string, unknown>): Promise<UserId | null> {
    if (!this.room.enabled) return null;
    if (this.auth.mode === 'trusted') return parseUserId(query.user_id);
    const credentials = credentialsOf(request);
    if (!credentials.bearer && !credentials.cookie) return null;
    const result = await this.authenticate.execute(credentials);
    return result.ok ? (result.value?.userId ?? null) : null;
  }

  /** Drops the hub's subscriptions and timers (the streams themselves are ended when the server closes). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.hub.closeAll();
  }
}
