import { Module } from '@nestjs/common';
import { PagesHttpController } from '../interfaces/http/pages.http.controller';

/** The storefront (/) and the operator dashboard (/admin): static pages served by the app itself. */
@Module({ controllers: [PagesHttpController] })
export class PagesModule {}
