/**
 * The delivery scheduler's sense of time. Production uses the system clock; a test or a
 * benchmark injects a clock of its own (a virtual one, where sleeping only moves time on), so
 * a morning of digests paced over minutes runs in seconds and is still measured exactly.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` on this clock, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Runs `work` beside its caller (one of a round's sends in flight). A virtual clock, which
   * moves on only once everyone sleeps, counts it as busy until it settles.
   */
  beside?<T>(work: () => Promise<T>): Promise<T>;
  /** The caller waits on work it runs beside it: to a virtual clock, neither busy nor asleep. */
  waitOn?<T>(promise: Promise<T>): Promise<T>;
}

/** `work` beside the caller, told to the clock when it keeps count. */
export const runBeside = <T>(clock: Clock, work: () => Promise<T>): Promise<T> =>
  clock.beside ? clock.beside(work) : work();

/** Waits on work run beside the caller, told to the clock when it keeps count. */
export const waitOn = <T>(clock: Clock, promise: Promise<T>): Promise<T> =>
  clock.waitOn ? clock.waitOn(promise) : promise;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
    }),
};
