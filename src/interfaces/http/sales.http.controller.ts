import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GetSaleUseCase, PUBLIC_READ_MAX_AGE_MS } from '../../application/sales/get-sale.use-case';
import { ItemPage, ListSaleItemsUseCase } from '../../application/sales/list-sale-items.use-case';
import { SaleView } from '../../application/sales/sale-view';
import { ItemId, parseItemId } from '../../domain/sale/item-id.value-object';
import { parseSaleId } from '../../domain/sale/sale-id.value-object';
import { AccessRule } from './access/access.decorator';
import { FastifyDoor, FastifyRoute } from './fastify-route';
import { sendRejection } from './problem-details';
import { InvalidParam, intInRange, optionalParam, param } from './request-params';

export const MAX_ITEMS_PAGE = 1000;

/** GET /sales/active, GET /sales/upcoming, GET /sales/:id, GET /sales/:id/items?limit=&cursor= (Fastify routes: see fastify-route.ts) */
const READ: AccessRule = { group: 'read', caller: 'none' };

/** A page's or a sale view's JSON, made once per object: the use cases hand every caller the same one while it is fresh. */
const bodies = new WeakMap<ItemPage | SaleView, string>();

function sendJsonOf(reply: FastifyReply, value: ItemPage | SaleView): FastifyReply {
  let body = bodies.get(value);
  if (body === undefined) bodies.set(value, (body = JSON.stringify(value)));
  return reply.type('application/json; charset=utf-8').send(body);
}

@Injectable()
export class SalesHttpController implements FastifyDoor {
  constructor(
    private readonly getSale: GetSaleUseCase,
    private readonly listItems: ListSaleItemsUseCase,
  ) {}

  routes(): FastifyRoute[] {
    return [
      { method: 'GET', url: '/sales/active', access: READ, handle: (_req, reply) => this.active(reply) },
      { method: 'GET', url: '/sales/upcoming', access: READ, handle: async (_req, reply) => reply.send(await this.upcoming()) },
      { method: 'GET', url: '/sales/:id', access: READ, handle: (req, reply) => this.byId(req.params as Record<string, unknown>, reply) },
      {
        method: 'GET',
        url: '/sales/:id/items',
        access: READ,
        handle: (req, reply) => this.items(req.params as Record<string, unknown>, req.query as Record<string, unknown>, reply),
      },
    ];
  }

  async active(reply: FastifyReply): Promise<FastifyReply> {
    const result = await this.getSale.active(PUBLIC_READ_MAX_AGE_MS);
    // Here "no active sale" means the resource asked for does not exist: 404 (checkout answers it with 409).
    return result.ok ? sendJsonOf(reply, result.value) : sendRejection(reply, result.error, 404);
  }

  async upcoming(): Promise<{ sales: unknown[] }> {
    return { sales: await this.getSale.upcoming() };
  }

  async byId(params: Record<string, unknown>, reply: FastifyReply): Promise<FastifyReply> {
    const id = param(params, ['id'], parseSaleId, 'a positive integer sale id');
    if (id instanceof InvalidParam) return id.send(reply);
    const result = await this.getSale.byId(id, PUBLIC_READ_MAX_AGE_MS);
    return result.ok ? sendJsonOf(reply, result.value) : sendRejection(reply, result.error);
  }

  async items(params: Record<string, unknown>, query: Record<string, unknown>, reply: FastifyReply): Promise<FastifyReply> {
    const id = param(params, ['id'], parseSaleId, 'a positive integer sale id');
    if (id instanceof InvalidParam) return id.send(reply);
    const limit = optionalParam(query, 'limit', intInRange(1, MAX_ITEMS_PAGE), `an integer from 1 to ${MAX_ITEMS_PAGE}`, 100);
    if (limit instanceof InvalidParam) return limit.send(reply);
    const cursor = optionalParam<ItemId | null>(query, 'cursor', parseItemId, 'the nextCursor of a previous page', null);
    if (cursor instanceof InvalidParam) return cursor.send(reply);
    const result = await this.listItems.execute(id, cursor, limit, PUBLIC_READ_MAX_AGE_MS);
    if (!result.ok) return sendRejection(reply, result.error);
    return sendJsonOf(reply, result.value);
  }
}
