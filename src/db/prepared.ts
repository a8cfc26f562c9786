// Named prepared statements (the hot queries of users/repository.ts and permissions/repository.ts)
// are prepared once per connection and outlive what they were planned for: another instance's
// migration that changes a selected column's type (0A000, "cached plan must not change result
// type"), or a pooler or operator that deallocated them (26000). Either fails the statement before
// it runs, and node-postgres prepares it afresh on the next use: one retry, not a 500.
import { pgErrorCode } from "./errors.ts";

const STALE_STATEMENT = new Set(["0A000", "26000"]);

export async function runPrepared<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!STALE_STATEMENT.has(pgErrorCode(err)?.code ?? "")) throw err;
    return run();
  }
}
