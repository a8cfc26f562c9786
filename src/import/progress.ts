// A line on stderr every few seconds while an import writes: counts and the rate.
export interface Progress {
  done(ok: boolean): void;
  retried(): void;
  stop(): void;
}

export function startProgress(total: number, intervalMs: number, write: (line: string) => void, now: () => number = Date.now): Progress {
  const started = now();
  let ok = 0;
  let failed = 0;
  let retries = 0;
  const line = () => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? (ok + failed) / seconds : 0;
    write(`import: ${ok + failed}/${total} people (${rate.toFixed(1)}/s), ${failed} failed, ${retries} Cognito retries, ${seconds.toFixed(0)} s\n`);
  };
  const timer = intervalMs > 0 ? setInterval(line, intervalMs) : undefined;
  timer?.unref();
  return {
    done: (success) => (success ? ok++ : failed++),
    retried: () => retries++,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
