import { Module } from '@nestjs/common';
import { CheckRateLimitsUseCase } from '../application/access/check-rate-limits.use-case';
import { AuthenticateUseCase } from '../application/identity/authenticate.use-case';
import { LoginUseCase } from '../application/identity/login.use-case';
import { MailOutboxUseCase } from '../application/identity/mail-outbox.use-case';
import { RegisterUseCase } from '../application/identity/register.use-case';
import { VerifyCodeUseCase } from '../application/identity/verify-code.use-case';

const useCases = [RegisterUseCase, LoginUseCase, VerifyCodeUseCase, AuthenticateUseCase, MailOutboxUseCase, CheckRateLimitsUseCase];

/** Identity and access: buyer accounts and sessions, JWTs, rate limits. */
@Module({ providers: useCases, exports: useCases })
export class IdentityModule {}
