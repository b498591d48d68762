import { FullWindows } from '../../../src/infrastructure/redis/full-windows';

const windows = (...keys: string[]) => keys.map((key) => ({ key }));

describe('FullWindows', () => {
  it('refuses a window seen full until just before its oldest request leaves it (1 ms and 1% early), announcing the whole wait', () => {
    const full = new FullWindows();
    // Asked at 1,000 and answered at 1,004: the oldest request leaves 1,000 ms after Redis read the window.
    full.remember('{rl:buy:user:bot}', 1_000, 1_000, 1_004);

    // Refused here until 1,989; the wait it announces (Retry-After) runs to 2,004, never early.
    expect(full.refusal(windows('{rl:buy:ip:1.2.3.4}', '{rl:buy:user:bot}'), 1_000)).toEqual([{ index: 1, resetMs: 1_004 }]);
    expect(full.refusal(windows('{rl:buy:user:bot}'), 1_988)).toEqual([{ index: 0, resetMs: 16 }]);
    // From then on Redis decides again (it may let the request in).
    expect(full.refusal(windows('{rl:buy:user:bot}'), 1_989)).toBeNull();
    expect(full.refusal(windows('{rl:buy:user:bot}'), 1_100)).toBeNull();
  });

  it('knows nothing of windows it was not told about, and forgets on clear()', () => {
    const full = new FullWindows();
    expect(full.refusal(windows('{rl:buy:user:alice}'), 0)).toBeNull();

    full.remember('{rl:buy:ip:1.2.3.4}', 0, 10_000);
    full.remember('{rl:buy:user:alice}', 0, 5_000);
    expect(full.refusal(windows('{rl:buy:ip:1.2.3.4}', '{rl:buy:user:alice}'), 10)).toEqual([
      { index: 0, resetMs: 9_990 },
      { index: 1, resetMs: 4_990 },
    ]);
    full.clear();
    expect(full.refusal(windows('{rl:buy:ip:1.2.3.4}', '{rl:buy:user:alice}'), 10)).toBeNull();
  });

  it('holds at most maxWindows, making room from the expired ones, and sweeps a full map at most once a second', () => {
    const full = new FullWindows(2);
    full.remember('a', 0, 100);
    full.remember('b', 0, 1_000);
    // Full: "a" has expired by 200, so "c" takes its place.
    full.remember('c', 200, 1_000);
    expect(full.refusal(windows('a', 'b', 'c'), 201)?.map((f) => f.index)).toEqual([1, 2]);
    // Full and nothing expired: "d" is not remembered (Redis will be asked), the others stay.
    full.remember('d', 300, 1_000);
    expect(full.refusal(windows('b', 'c', 'd'), 301)?.map((f) => f.index)).toEqual([0, 1]);
    // "b" has expired by 1,000, but that sweep found none, so none again before 1,300: "e" is not remembered.
    full.remember('e', 1_000, 1_000);
    expect(full.refusal(windows('e'), 1_001)).toBeNull();
    // From 1,300 on a sweep makes room again.
    full.remember('f', 1_300, 1_000);
    expect(full.refusal(windows('f'), 1_301)?.map((f) => f.index)).toEqual([0]);
  });
});
