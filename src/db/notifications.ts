// LISTEN on a dedicated PostgreSQL connection that reconnects by itself. The pool's connections
// come and go; a listener needs one that stays.
import pg from "pg";

export type Unlisten = () => Promise<void>;

export async function listenPostgres(
  url: string,
  channel: string,
  onMessage: (payload: string) => void,
  onState: (listening: boolean) => void,
): Promise<Unlisten> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (delayMs: number): Promise<void> => {
    if (stopped) return;
    const attempt = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, keepAlive: true });
    const lost = () => {
      if (client !== attempt || stopped) return;
      client = undefined;
      onState(false);
      attempt.end().catch(() => {});
      schedule(1000);
    };
    attempt.on("error", lost);
    attempt.on("end", lost);
    attempt.on("notification", (msg) => {
      if (msg.channel === channel && msg.payload) onMessage(msg.payload);
    });
    try {
      await attempt.connect();
      await attempt.query(`listen ${channel}`);
      client = attempt;
      onState(true);
    } catch {
      attempt.end().catch(() => {});
      onState(false);
      schedule(Math.min(delayMs * 2, 10_000));
    }
  };
  const schedule = (delayMs: number) => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect(delayMs);
    }, delayMs);
    retry.unref();
  };

  await connect(1000);
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}
