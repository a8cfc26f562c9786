// Concurrent callers of one task share its runs. A caller must get a run that starts after it
// asked (the feed's sequencer run must see what committed before the request), so one arriving
// while a run is under way joins the single run queued behind it. A storm of feed requests then
// holds one database connection on the sequencer's lock per instance (the queued run starts
// when the first ends), not one per request (ten of them would be the whole pool: every other request would wait).
export function sharedRuns<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const run: Promise<T> = task().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return () => {
    if (queued) return queued;
    if (!running) return start();
    queued = running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      });
    return queued;
  };
}
