import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';
import { PasswordHasher } from '../../application/ports/password-hasher.port';

/** argon2id with the library's defaults (64 MiB, 3 passes), each hash with its own salt. */
@Injectable()
export class Argon2PasswordHasher extends PasswordHasher {
  private readonly decoy = argon2.hash('a password nobody has, to spend the same time');

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password).catch(() => false);
  }

  async verifyNothing(password: string): Promise<void> {
    await argon2.verify(await this.decoy, password).catch(() => false);
  }
}
