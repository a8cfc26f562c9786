// npm start's server log: every line, JSON as in production, to a file under the data folder
// (beside the emulator's), and warnings and errors on the terminal too, one readable line each.
// The terminal stays the banner's and what needs attention; the rest is a `tail -f` away
// (readable with `npx pino-pretty`). No prettifier is loaded: a few warnings need none.
import { pino, type DestinationStream } from "pino";

/** What every line carries, or says elsewhere: not repeated on the terminal. */
const SHOWN_ELSEWHERE = new Set(["level", "time", "msg", "service", "version", "pid", "hostname", "err"]);

/** A log line as the terminal shows it: `14:02:07 WARN signing keys could not be fetched  reason=…`. */
export function readableLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record.time === "string" ? new Date(record.time).toLocaleTimeString("en-GB") : "";
  const fields = Object.entries(record)
    .filter(([key]) => !SHOWN_ELSEWHERE.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  // An error by its type and message (or code): its stack is in the file.
  const err = record.err as { type?: string; message?: string; code?: string } | undefined;
  if (err) fields.unshift(`err=${[err.type, err.message ?? err.code].filter(Boolean).join(": ")}`);
  return `${time} ${String(record.level).toUpperCase()} ${String(record.msg ?? "")}${fields.length > 0 ? `  ${fields.join(" ")}` : ""}\n`;
}

/** Every line to `file` (created owner-only), warnings and errors also to `terminal`. */
export function devLogDestination(file: string, terminal: { write(text: string): unknown } = process.stderr): DestinationStream {
  const toFile = pino.destination({ dest: file, mkdir: true, append: true, sync: false, mode: 0o600 });
  return pino.multistream([
    // Whatever the logger's level lets through (LOG_LEVEL=debug shows the probes' lines here).
    { level: "trace", stream: toFile },
    { level: "warn", stream: { write: (line: string) => terminal.write(readableLine(line)) } },
  ]);
}
