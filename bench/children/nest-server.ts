import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

/*
 * A ceiling: the least a NestJS app on Fastify (the app's versions) can be. One controller, one POST route
 * answering a small JSON; no guards, pipes, filters, interceptors, logging or Redis. What the app's routes
 * pay on top of this is the app's own.
 */
@Controller()
class CeilingController {
  @Post('nest')
  @HttpCode(200)
  answer() {
    return { ok: true, service: 'nest-fastify' };
  }
}

@Module({ controllers: [CeilingController] })
class CeilingModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(CeilingModule, new FastifyAdapter(), { logger: false });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  console.log(`minimal nest on fastify listening on ${await app.getUrl()}`);
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
