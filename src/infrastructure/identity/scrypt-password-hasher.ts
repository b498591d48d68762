import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PasswordHasher } from '../../application/identity/password-hasher.port';

/**
 * scrypt from Node's crypto (OpenSSL), with OWASP's parameters: N=2^17, r=8, p=1 (128 MiB, about a third of a
 * second here), a 16-byte salt per hash. It runs on libuv's thread pool, so hashing never blocks requests.
 * argon2id was the first choice: the argon2 package's prebuilt addon crashed Node 20 on load on this machine,
 * and the WebAssembly builds run on the event loop (a quarter of a second per sign-in, blocking).
 */
const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEMORY = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEMORY }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

@Injectable()
export class ScryptPasswordHasher extends PasswordHasher {
  private readonly decoy = this.hash('a password nobody has, to spend the same time');

  /** "scrypt$N$r$p$salt$hash" (salt and hash base64): the parameters travel with the hash, so they can grow. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(password, salt, N, R, P);
    return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(hash: string, password: string): Promise<boolean> {
    const [scheme, n, r, p, salt, key] = hash.split('$');
    if (scheme !== 'scrypt' || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const actual = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  async verifyNothing(password: string): Promise<void> {
    await this.verify(await this.decoy, password);
  }
}
