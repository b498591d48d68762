import { RecentAnswers } from '../../../../src/application/shared/recent-answers';

describe('RecentAnswers', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('serves one call to every caller within the age they accept, and calls again after it', async () => {
    const cache = new RecentAnswers<number>();
    let calls = 0;
    const load = () => Promise.resolve(++calls);
    expect(await Promise.all([cache.get('k', 100, load), cache.get('k', 100, load)])).toEqual([1, 1]);
    jest.advanceTimersByTime(100);
    expect(await cache.get('k', 100, load)).toBe(1);
    jest.advanceTimersByTime(1);
    expect(await cache.get('k', 100, load)).toBe(2);
    expect(await cache.get('other', 100, load)).toBe(3);
  });

  it('always calls when no age is accepted, and does not keep a failed call', async () => {
    const cache = new RecentAnswers<number>();
    let calls = 0;
    expect(await cache.get('k', 0, () => Promise.resolve(++calls))).toBe(1);
    expect(await cache.get('k', 0, () => Promise.resolve(++calls))).toBe(2);
    await expect(cache.get('k', 100, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', 100, () => Promise.resolve(++calls))).toBe(3);
  });

  it('stays bounded: past its size it starts over', async () => {
    const cache = new RecentAnswers<string>(2);
    await cache.get('a', 100, () => Promise.resolve('a1'));
    await cache.get('b', 100, () => Promise.resolve('b1'));
    await cache.get('c', 100, () => Promise.resolve('c1'));
    expect(await cache.get('a', 100, () => Promise.resolve('a2'))).toBe('a2');
  });
});
