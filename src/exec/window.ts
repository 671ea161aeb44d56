/**
 * Run `count` tasks through `run` with at most `window` issued but not yet delivered, and deliver the results
 * strictly in task order (onResult(result, i) for i = 0, 1, …), whatever order they finish in. So what the caller
 * builds from them (float64 sums, rows) is the same for every thread count and timing, and the results held at
 * once are bounded. The first failure stops issuing and is thrown once the tasks already issued have settled.
 */
export async function runOrdered<T, R>(
  count: number,
  taskAt: (i: number) => T,
  run: (task: T) => Promise<R>,
  window: number,
  onResult: (result: R, i: number) => void,
): Promise<void> {
  const ready = new Map<number, R>();
  let issued = 0;
  let delivered = 0;
  let pending = 0;
  let error: { reason: unknown } | undefined;
  let wake: (() => void) | undefined;
  const issue = (): void => {
    while (issued < count && issued - delivered < Math.max(1, window) && error === undefined) {
      const i = issued++;
      pending++;
      run(taskAt(i)).then(
        (r) => {
          pending--;
          ready.set(i, r);
          wake?.();
        },
        (e: unknown) => {
          pending--;
          error ??= { reason: e };
          wake?.();
        },
      );
    }
  };
  const next = (): Promise<void> =>
    new Promise<void>((res) => {
      wake = res;
    });
  issue();
  while (delivered < count) {
    if (error !== undefined) {
      while (pending > 0) await next();
      throw error.reason;
    }
    const r = ready.get(delivered);
    if (ready.delete(delivered)) {
      onResult(r as R, delivered++);
      issue();
      continue;
    }
    await next();
  }
}
