import { within } from '../../../../src/application/shared/within';

describe('within', () => {
  afterEach(() => jest.useRealTimers());

  it('answers what the promise answers when it settles in time', async () => {
    await expect(within(Promise.resolve(42), 1_000)).resolves.toBe(42);
    await expect(within(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });

  it('gives up after the time given, naming what it waited for', async () => {
    jest.useFakeTimers();
    const late = within(new Promise(() => undefined), 2_000, 'metrics');
    const outcome = late.catch((e: Error) => e.message);

    await jest.advanceTimersByTimeAsync(2_000);

    expect(await outcome).toBe('metrics: no answer within 2000 ms');
  });

  it('leaves no timer behind once the promise settled', async () => {
    jest.useFakeTimers();
    await within(Promise.resolve('done'), 60_000);

    expect(jest.getTimerCount()).toBe(0);
  });
});
