// RFC 9457 problem details: the one shape of every error this API answers with.
import { STATUS_CODES } from "node:http";
import type { FastifyReply } from "fastify";

export interface FieldError {
  field: string;
  message: string;
}

/** The offending fields of a body: the first ones found, and how many more there were. */
export interface FieldErrors {
  listed: FieldError[];
  omitted: number;
}

/** No problem body is larger than this, whatever built it: a small request must not buy a large answer. */
export const MAX_PROBLEM_BYTES = 16 * 1024;
/** errors[] holds at most this many entries; errors_omitted counts the rest. */
export const MAX_LISTED_ERRORS = 20;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  errors_omitted?: number;
  [extension: string]: unknown;
}

/** An error that is an answer: thrown anywhere in a request, rendered by the error handler. */
export class ApiProblem extends Error {
  /** The body as sent, once rendered: refusals such as 401s are built once and sent often. */
  private json: string | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = "ApiProblem";
  }

  body(): ProblemBody {
    return {
      type: "about:blank",
      title: STATUS_CODES[this.status] ?? "Error",
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...this.extensions,
    };
  }

  /** The body as JSON text, at most MAX_PROBLEM_BYTES long. */
  text(): string {
    return (this.json ??= boundedJson(this.body()));
  }
}

const MAX_DETAIL_CHARS = 1024;
const MAX_ENTRY_CHARS = 256;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The last guard: a body over the bound keeps what identifies the problem (type, title, status,
 * code, the start of detail) and as many errors[] entries as fit, and drops everything else.
 */
function boundedJson(body: ProblemBody): string {
  const text = JSON.stringify(body);
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most bodies are measured without encoding them.
  if (text.length * 3 <= MAX_PROBLEM_BYTES || Buffer.byteLength(text) <= MAX_PROBLEM_BYTES) return text;
  const { type, title, status, code } = body;
  const slim: ProblemBody = { type, title, status, detail: truncate(body.detail, MAX_DETAIL_CHARS), code };
  if (body.errors) {
    // Room for the closing members ("errors":[…],"errors_omitted":N}) is kept back.
    let size = Buffer.byteLength(JSON.stringify(slim)) + 64;
    const listed: FieldError[] = [];
    for (const e of body.errors.slice(0, MAX_LISTED_ERRORS)) {
      const entry = { field: truncate(String(e.field), MAX_ENTRY_CHARS), message: truncate(String(e.message), MAX_ENTRY_CHARS) };
      const entrySize = Buffer.byteLength(JSON.stringify(entry)) + 1;
      if (size + entrySize > MAX_PROBLEM_BYTES) break;
      listed.push(entry);
      size += entrySize;
    }
    slim.errors = listed;
    const omitted = body.errors.length - listed.length + (body.errors_omitted ?? 0);
    if (omitted > 0) slim.errors_omitted = omitted;
  }
  return JSON.stringify(slim);
}

export const PROBLEM_JSON = "application/problem+json; charset=utf-8";

export function sendProblem(reply: FastifyReply, problem: ApiProblem): FastifyReply {
  // Sent as text: the size guard has measured it, and a cached problem is not serialized again.
  return reply.code(problem.status).headers(problem.headers).type(PROBLEM_JSON).send(problem.text());
}

export function unavailable(detail: string, retryAfterSeconds = 5, extensions: Record<string, unknown> = {}): ApiProblem {
  return new ApiProblem(503, "unavailable", detail, { "retry-after": String(retryAfterSeconds) }, extensions);
}

export function notFound(detail = "No such resource."): ApiProblem {
  return new ApiProblem(404, "not_found", detail);
}

export function forbidden(detail: string, code = "forbidden", headers: Record<string, string> = {}): ApiProblem {
  return new ApiProblem(403, code, detail, headers);
}

/** 400 validation_failed: at most MAX_LISTED_ERRORS fields listed, the rest counted in errors_omitted. */
export function validationFailed({ listed, omitted }: FieldErrors): ApiProblem {
  const errors = listed.slice(0, MAX_LISTED_ERRORS);
  const rest = omitted + listed.length - errors.length;
  const fields = errors.map((e) => e.field).join(", ");
  const detail = rest > 0 ? `Invalid fields: ${fields}, and ${rest} more.` : `Invalid fields: ${fields}.`;
  return new ApiProblem(400, "validation_failed", detail, {}, rest > 0 ? { errors, errors_omitted: rest } : { errors });
}

/** 409: the request is valid but collides with what exists (a taken name, a grant already held). */
export function conflict(detail: string): ApiProblem {
  return new ApiProblem(409, "conflict", detail);
}

/** 400 validation_failed for one field, for checks a schema cannot make (a reference to nothing). */
export function invalidField(field: string, message: string): ApiProblem {
  return validationFailed({ listed: [{ field, message }], omitted: 0 });
}
