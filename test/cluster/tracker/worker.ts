import { log } from "./log";

// A background job that runs one round, waits, and runs again, never overlapping
// itself. Errors are logged and the next round tries again.
export type Worker = { stop(): Promise<void> };

export function startWorker(name: string, intervalMs: number, round: () => Promise<void>): Worker {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = round()
      .catch((e) => log(`${name}: ${String((e as Error).stack ?? e)}`))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, intervalMs);
        }
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
