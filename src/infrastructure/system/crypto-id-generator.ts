import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { IdGenerator } from '../../application/ports/id-generator.port';

@Injectable()
export class CryptoIdGenerator extends IdGenerator {
  /** 128 random bits, base64url: unguessable, and safe in a query string. */
  checkoutToken(): string {
    return randomBytes(16).toString('base64url');
  }

  orderId(): string {
    return randomUUID();
  }
}
