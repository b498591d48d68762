import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthenticateUseCase } from '../application/identity/authenticate.use-case';
import { LoginUseCase } from '../application/identity/login.use-case';
import { RegisterUseCase } from '../application/identity/register.use-case';
import { VerifyCodeUseCase } from '../application/identity/verify-code.use-case';
import { AccessGuard } from '../interfaces/http/access/access.guard';
import { AuthHttpController } from '../interfaces/http/auth.http.controller';

/**
 * Identity and access: buyer accounts and sessions, JWTs, and the global guard that identifies every caller
 * and applies the rate limits.
 */
@Module({
  controllers: [AuthHttpController],
  providers: [RegisterUseCase, LoginUseCase, VerifyCodeUseCase, AuthenticateUseCase, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [AuthenticateUseCase],
})
export class IdentityModule {}
