import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminSettings } from '../../application/access/admin-settings';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The admin API's door: `Authorization: Bearer <ADMIN_TOKEN>`. Tokens are compared as SHA-256 digests with
 * timingSafeEqual, so neither the content nor the length of the token leaks through timing. Without a
 * configured token the admin API does not exist (404).
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(settings: AdminSettings) {
    this.expected = settings.token ? digest(settings.token) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new NotFoundException('The admin API is off: start the service with ADMIN_TOKEN set.');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
    if (!timingSafeEqual(digest(token), this.expected)) {
      throw new UnauthorizedException('A valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>.');
    }
    return true;
  }
}
