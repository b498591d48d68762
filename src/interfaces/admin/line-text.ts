import { LineStatusView } from '../../application/line/line-admin.use-case';

/** A line's status as the CLI prints it. */
export function lineText(s: LineStatusView): string {
  return [
    `sale ${s.saleId} line: ${s.closed ? `closed (${s.closed})` : 'open'}`,
    `waiting         ${s.waiting}`,
    `admitted now    ${s.admitted}`,
    `admitted in all ${s.admittedTotal}`,
    `rate            ${s.ratePerSecond}/s`,
    `median wait     ${s.medianWaitSeconds === null ? '-' : `${s.medianWaitSeconds} s`}`,
  ].join('\n');
}
