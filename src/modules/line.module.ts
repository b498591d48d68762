import { Module } from '@nestjs/common';
import { AdmitFromLinesUseCase } from '../application/line/admit-from-lines.use-case';
import { CheckAdmissionUseCase } from '../application/line/check-admission.use-case';
import { JoinLineUseCase } from '../application/line/join-line.use-case';
import { LineAdminUseCase } from '../application/line/line-admin.use-case';
import { LineSales } from '../application/line/line-sales.service';
import { SalesModule } from './sales.module';

const services = [LineSales, JoinLineUseCase, CheckAdmissionUseCase, AdmitFromLinesUseCase, LineAdminUseCase];

/** The waiting room: sales' lines, admissions, and the operator's doors onto them. */
@Module({ imports: [SalesModule], providers: services, exports: services })
export class LineModule {}
