// Every error becomes a problem+json answer: thrown ApiProblems as they are, Fastify's own errors
// mapped to the contract's codes, an unreachable database or a statement it cancelled to 503, and
// anything else to a logged 500.
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorObject } from "ajv";
import { isDatabaseUnavailable, isStatementCancelled } from "../db/errors.ts";
import { ApiProblem, PROBLEM_JSON, sendProblem, unavailable, validationFailed } from "./problem.ts";
import { API_HEADERS } from "./security-headers.ts";
import { fieldErrors } from "./validation.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Why a body member this route does not take was refused, for validation_failed's messages. */
    refusal?: (field: string) => string;
  }
}

export function answerError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ApiProblem) return sendProblem(reply, err);
  if (err.validation) {
    // A route may say why a field it does not take was refused ("is owned by Cognito", …).
    const refusal = request.routeOptions.config.refusal ?? (() => "is not allowed");
    const errors = fieldErrors(err.validation as unknown as ErrorObject[], refusal);
    return sendProblem(reply, validationFailed(errors));
  }
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return sendProblem(reply, new ApiProblem(415, "unsupported_media_type", "Send the body as application/json."));
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return sendProblem(reply, new ApiProblem(413, "payload_too_large", "The body is larger than 1 MiB."));
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return sendProblem(reply, new ApiProblem(400, "bad_request", "The request needs a JSON body."));
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return sendProblem(reply, new ApiProblem(400, "bad_request", "The body is not valid JSON."));
  }
  if (isStatementCancelled(err)) {
    // Logged through logging.ts's serializer like any database error: code and table, no values.
    request.log.warn({ err }, "database statement cancelled (statement timeout)");
    return sendProblem(reply, unavailable("The database took too long to answer this request and cancelled it; try again shortly, or narrow the request (a longer search term, a filter).", 5));
  }
  if (isDatabaseUnavailable(err)) {
    // Logged through logging.ts's serializer: the failed statement's values stay out of the log.
    request.log.warn({ err }, "database unavailable");
    return sendProblem(reply, unavailable("The database is unavailable; try again shortly.", 5));
  }
  if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
    return sendProblem(reply, new ApiProblem(err.statusCode, "bad_request", err.message));
  }
  request.log.error({ err }, "unhandled error");
  return sendProblem(reply, new ApiProblem(500, "internal_error", "An unexpected error occurred."));
}

/**
 * Requests Fastify refuses before routing them: a path that is not valid percent-encoding, a path
 * parameter over 100 characters. A problem like any other 400 (Fastify's own answer was plain JSON
 * that repeated the path).
 */
export function answerUnroutable(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const detail = err.code === "FST_ERR_MAX_PARAM_LENGTH" ? "A path segment is longer than 100 characters." : "The path is not valid percent-encoding.";
  return sendProblem(reply, new ApiProblem(400, "bad_request", detail));
}

// What every answer carries, for the answers written on the socket itself.
const RAW_API_HEADERS = Object.entries(API_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join("");

/** Requests too malformed to route (oversized or trickled headers, bad HTTP), answered on the socket. */
export function answerClientError(err: Error, socket: Socket): void {
  const code = (err as { code?: string }).code;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const problem =
    code === "HPE_HEADER_OVERFLOW"
      ? new ApiProblem(431, "headers_too_large", "The request headers are too large.")
      : code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new ApiProblem(408, "request_timeout", "The request took too long to arrive.")
        : new ApiProblem(400, "bad_request", "The request is not valid HTTP.");
  const body = problem.text();
  // Answer, then drop the connection: the client may still be sending.
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.body().title}\r\nContent-Type: ${PROBLEM_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${RAW_API_HEADERS}Connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
