import { Controller, UseGuards, applyDecorators } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { ValidateIf, validateSync } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { parseSaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection } from '../../domain/shared/rejection';
import { Result } from '../../domain/shared/result';
import { Access } from '../http/access/access.decorator';
import { sendRejection } from '../http/problem-details';
import { InvalidParam, param } from '../http/request-params';
import { AdminTokenGuard } from './admin-token.guard';

/** An admin API controller: under /admin, behind the admin token, limited in the "admin" group. */
export const AdminController = () =>
  applyDecorators(Controller('admin'), Access({ group: 'admin', caller: 'none' }), UseGuards(AdminTokenGuard));

/**
 * An optional field of a request body: left out is fine, but a value given must be valid, null included.
 * (class-validator's IsOptional lets null through, and a use case's default applies to a field left out only:
 * `{"graceMs": null}` reconciled with no grace period, `{"jobIds": null}` retried every dead letter.)
 */
export const OptionalField = (): PropertyDecorator => ValidateIf((_body: object, value: unknown) => value !== undefined);

export const saleIdParam = (params: Record<string, unknown>) => param(params, ['id'], parseSaleId, 'a positive integer sale id');

/** Answers a use case's result: 200 (or `status`) with the value, or the refusal as problem+json. */
export function sendResult<T>(reply: FastifyReply, result: Result<T, Rejection>, status = 200): FastifyReply {
  return result.ok ? reply.code(status).send(result.value) : sendRejection(reply, result.error);
}

/** Checks a JSON body against a DTO; the first problem names its field. */
export function validBody<T extends object>(type: new () => T, body: unknown): T | InvalidParam {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    return new InvalidParam('body', 'The body must be a JSON object.');
  }
  const dto = plainToInstance(type, body ?? {});
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  const first = errors[0];
  if (!first) return dto;
  const why = Object.values(first.constraints ?? {})[0] ?? 'is not valid';
  return new InvalidParam(first.property, `${first.property}: ${why}.`);
}
