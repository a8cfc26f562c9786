// An export file to documents: newline-delimited (one document a line, mongoexport's default) or
// one JSON array (--jsonArray), told apart by the first character. Bounded and checked before any
// value is looked at: size, UTF-8, JSON syntax, nesting, and keys that could pollute prototypes.
import { open } from "node:fs/promises";
import { InputError, type Location } from "./input-error.ts";
import { LIMITS, type Limits } from "./limits.ts";

export interface RawDocument {
  at: Location;
  value: Record<string, unknown>;
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** The file's bytes, refusing one larger than the bound before reading it all. */
async function readBounded(file: string, maxBytes: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw new InputError(file, undefined, undefined, `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new InputError(file, undefined, undefined, `is ${size} bytes, more than the ${maxBytes} an import reads`);
    // Read to the bound, not to the stat's size: a pipe, /dev/zero or a file growing meanwhile
    // says 0 or less than it holds (readFile would read it all, up to 2 GiB).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1 << 20, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new InputError(file, undefined, undefined, `holds more than the ${maxBytes} bytes an import reads`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

export async function readDocuments(file: string, limits = LIMITS): Promise<RawDocument[]> {
  const bytes = await readBounded(file, limits.maxFileBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    throw new InputError(file, undefined, undefined, utf16 ? "is UTF-16 text (a byte order mark); mongoexport writes UTF-8: convert it (iconv -f UTF-16 -t UTF-8)" : "is not UTF-8 text");
  }
  return parseDocuments(file, text, limits);
}

export function parseDocuments(file: string, text: string, limits = LIMITS): RawDocument[] {
  const first = /\S/.exec(text);
  if (!first) throw new InputError(file, undefined, undefined, "is empty");
  return first[0] === "[" ? parseArray(file, text, limits) : parseLines(file, text, limits);
}

function parseLines(file: string, text: string, limits: Limits): RawDocument[] {
  const documents: RawDocument[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const at = { file, where: `line ${i + 1}` };
    if (Buffer.byteLength(line) > limits.maxLineBytes) throw new InputError(file, at.where, undefined, `is longer than ${limits.maxLineBytes} bytes`);
    if (documents.length >= limits.maxDocuments) throw new InputError(file, at.where, undefined, `more than ${limits.maxDocuments} documents`);
    documents.push({ at, value: asDocument(at, parseJson(at, line), limits) });
  }
  return documents;
}

function parseArray(file: string, text: string, limits: Limits): RawDocument[] {
  const whole = parseJson({ file, where: "" }, text);
  if (!Array.isArray(whole)) throw new InputError(file, undefined, undefined, "is not a JSON array");
  if (whole.length > limits.maxDocuments) throw new InputError(file, undefined, undefined, `holds more than ${limits.maxDocuments} documents`);
  return whole.map((value, i) => {
    const at = { file, where: `index ${i}` };
    return { at, value: asDocument(at, value, limits) };
  });
}

/**
 * JSON.parse, whose message is not passed on: V8 quotes the input in it. The position is enough
 * to find the fault; an end before the value's end is a truncated file.
 */
function parseJson(at: Location, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : "";
    if (/end of JSON input|Unterminated|Unexpected end/i.test(message)) {
      throw new InputError(at.file, at.where || undefined, undefined, "ends before its JSON does (a truncated file?)");
    }
    const position = /position (\d+)/.exec(message)?.[1];
    throw new InputError(at.file, at.where || undefined, undefined, `is not valid JSON${position ? ` (at character ${Number(position) + 1})` : ""}`);
  }
}

function asDocument(at: Location, value: unknown, limits: Limits): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InputError(at.file, at.where, undefined, "is not a JSON object");
  checkShape(at, value, "", 0, limits);
  return value as Record<string, unknown>;
}

/** Nesting, array lengths and keys, everywhere in the document (fields the import ignores too). */
function checkShape(at: Location, value: unknown, path: string, depth: number, limits: Limits): void {
  if (typeof value !== "object" || value === null) return;
  if (depth >= limits.maxDepth) throw new InputError(at.file, at.where, path || undefined, `is nested deeper than ${limits.maxDepth} levels`);
  if (Array.isArray(value)) {
    if (value.length > limits.maxArrayLength) throw new InputError(at.file, at.where, path, `has more than ${limits.maxArrayLength} entries`);
    value.forEach((item, i) => checkShape(at, item, `${path}[${i}]`, depth + 1, limits));
    return;
  }
  for (const key of Object.keys(value)) {
    const field = path ? `${path}.${safeKey(key)}` : safeKey(key);
    if (FORBIDDEN_KEYS.has(key)) throw new InputError(at.file, at.where, field, "is a key that no VRMS document has (prototype pollution?)");
    checkShape(at, (value as Record<string, unknown>)[key], field, depth + 1, limits);
  }
}

/** A key as messages show it: bounded, printable. */
export function safeKey(key: string): string {
  const printable = key.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}
