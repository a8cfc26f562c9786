// RFC 9457 problem details: the one shape of every error this API answers with.
import { STATUS_CODES } from "node:http";
import type { FastifyReply } from "fastify";

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** An error that is an answer: thrown anywhere in a request, rendered by the error handler. */
export class ApiProblem extends Error {
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
}

export const PROBLEM_JSON = "application/problem+json; charset=utf-8";

export function sendProblem(reply: FastifyReply, problem: ApiProblem): FastifyReply {
  return reply.code(problem.status).headers(problem.headers).type(PROBLEM_JSON).send(problem.body());
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

export function validationFailed(errors: FieldError[]): ApiProblem {
  const fields = errors.map((e) => e.field).join(", ");
  return new ApiProblem(400, "validation_failed", `Invalid fields: ${fields}.`, {}, { errors });
}
