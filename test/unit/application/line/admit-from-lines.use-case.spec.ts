import { AdmitFromLinesUseCase, LINE_STEP_BOUND_MS } from '../../../../src/application/line/admit-from-lines.use-case';
import { LineSales } from '../../../../src/application/line/line-sales.service';
import { AdmitStep, LineSale, WaitingLine } from '../../../../src/application/line/waiting-line.port';
import { WaitingRoomSettings } from '../../../../src/application/line/waiting-room-settings';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';

const MINUTE = 60_000;
const lineSale = (id: number): LineSale => ({
  id: id as SaleId,
  opensAt: new Date(0),
  startsAt: new Date(0),
  endsAt: new Date(10 * MINUTE),
  unitsOnSale: 10,
  expireAt: new Date(20 * MINUTE),
});

/* Each running sale's line steps on its own: one whose Redis shard does not answer holds back no other. */
describe('AdmitFromLinesUseCase', () => {
  const stalled = lineSale(1);
  const healthy = lineSale(2);
  const open: AdmitStep = { kind: 'open', admitted: 3, waiting: 0, admittedNow: 3 };
  let steps: Map<number, () => Promise<AdmitStep>>;
  let admit: AdmitFromLinesUseCase;

  beforeEach(() => {
    jest.useFakeTimers();
    steps = new Map();
    const line = { admit: (sale: LineSale) => steps.get(sale.id)!() } as unknown as WaitingLine;
    const sales = { running: () => [stalled, healthy] } as unknown as LineSales;
    const settings = new WaitingRoomSettings(true, MINUTE, 10, MINUTE, 1, MINUTE, 'secret', 0, MINUTE);
    admit = new AdmitFromLinesUseCase(line, sales, settings, new FixedClock(new Date(MINUTE)));
  });

  afterEach(() => jest.useRealTimers());

  it('admits from the other lines while one line gets no answer, within the bound', async () => {
    let calls = 0;
    steps.set(stalled.id, () => {
      calls++;
      return new Promise<AdmitStep>(() => undefined);
    });
    steps.set(healthy.id, async () => open);
    const step = admit.execute();
    await jest.advanceTimersByTimeAsync(LINE_STEP_BOUND_MS);
    await expect(step).resolves.toBe(3);
    // The next steps neither wait for the stalled line nor ask it again while its call is out.
    await expect(admit.execute()).resolves.toBe(3);
    await expect(admit.execute()).resolves.toBe(3);
    expect(calls).toBe(1);
  });

  it('admits from the other lines when one line fails, and fails only when every line does', async () => {
    steps.set(stalled.id, async () => Promise.reject(new Error('CLUSTERDOWN')));
    steps.set(healthy.id, async () => open);
    await expect(admit.execute()).resolves.toBe(3);

    steps.set(healthy.id, async () => Promise.reject(new Error('CLUSTERDOWN too')));
    await expect(admit.execute()).rejects.toThrow(/CLUSTERDOWN/);
  });
});
