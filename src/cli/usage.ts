// The CLI's command line before any command runs: --help (the whole text, or one command's
// section of it), --version, and usage errors, which exit 2 (a runtime failure exits 1) with one
// line on stderr that says what is wrong and where the help is.

export const PROGRAM = "vrms-backend";

/** The command line is wrong: exit code 2, and a pointer to the right --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help to point to; none for the whole help. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT_RUNTIME_ERROR = 1;
export const EXIT_USAGE_ERROR = 2;

/** What to do: print a text and stop, or run a command with its arguments. */
export type Invocation = { print: string } | { command: string; args: string[] };

const HELP_FLAGS = new Set(["--help", "-h"]);

/**
 * The command and its arguments, or what to print instead. `help` is the whole help text: its
 * "Commands:" section has one block per command, starting `  <name>` at two spaces of indent, and
 * a command's --help is its block.
 */
export function parseInvocation(argv: readonly string[], help: string, commands: readonly string[], version: string): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined || HELP_FLAGS.has(first)) return { print: help };
  if (first === "--version") return { print: version };
  if (first === "help") {
    if (rest[0] === undefined) return { print: help };
    if (!commands.includes(rest[0])) throw unknownCommand(rest[0]);
    return { print: commandHelp(help, rest[0]) };
  }
  if (first.startsWith("-")) throw new UsageError(`unknown option ${first} (options follow the command)`);
  if (!commands.includes(first)) throw unknownCommand(first);
  if (rest.some((arg) => HELP_FLAGS.has(arg))) return { print: commandHelp(help, first) };
  return { command: first, args: rest };
}

function unknownCommand(name: string): UsageError {
  return new UsageError(`unknown command ${JSON.stringify(name)}`);
}

/** A command's block of the help text, under a usage line, with the options every command shares. */
export function commandHelp(help: string, command: string): string {
  const lines = help.split("\n");
  const start = lines.findIndex((line) => line === `  ${command}` || line.startsWith(`  ${command} `));
  if (start < 0) return help;
  let end = start + 1;
  while (end < lines.length && /^ {3,}\S/.test(lines[end]!)) end++;
  const [synopsis, ...description] = lines.slice(start, end);
  const options = lines.slice(lines.indexOf("Options:"));
  return [`Usage: ${PROGRAM} ${synopsis!.trim()}`, "", ...description.map((line) => line.replace(/^ {6}/, "  ")), "", ...options].join("\n").trimEnd();
}

/** Node's parseArgs refusals (an unknown option, a missing value, a stray argument) are usage errors. */
export function asUsageError(err: unknown, command: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof TypeError && typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) return new UsageError(err.message, command);
  return err;
}

/** The one line a usage error prints. */
export function usageLine(err: UsageError): string {
  return `error: ${err.message}; see ${PROGRAM}${err.command ? ` ${err.command}` : ""} --help`;
}
