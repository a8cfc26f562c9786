// The problem+json body as a schema, for the OpenAPI document. A problem body is at most 16 KB
// (problem.ts enforces it).
import { Type } from "typebox";
import { MAX_LISTED_ERRORS } from "./problem.ts";

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        maxItems: MAX_LISTED_ERRORS,
        description: `validation_failed: the offending fields, at most ${MAX_LISTED_ERRORS} (names over 64 characters cut short)`,
      }),
    ),
    errors_omitted: Type.Optional(
      Type.Integer({ minimum: 1, description: "validation_failed: how many more offending fields there were than errors lists" }),
    ),
  },
  // Extensions (checks, challenge, …) must survive serialization.
  { additionalProperties: true, $id: "Problem" },
);

/** The problem+json media type as declared in the OpenAPI document (the server adds charset). */
export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** Every way a request can fail authentication, as the API's `code` (401); the OpenAPI document lists them. */
export const AUTH_CODES = [
  "token_missing",
  "token_invalid",
  "token_expired",
  "token_wrong_issuer",
  "token_wrong_audience",
  "token_wrong_use",
  "token_unknown_key",
  "token_revoked",
] as const;

/** The `code`s a route can answer, by status. */
export type ProblemCodes = Readonly<Partial<Record<number, readonly string[]>>>;

// Shared sets: a route's errors are the union of the sets that describe it.
/** Anything with a bearer token: the token's 401s, the failure limiter, keys or revocations not loaded. */
export const TOKEN_CHECKED: ProblemCodes = { 401: AUTH_CODES, 429: ["rate_limited"], 503: ["unavailable"] };
/** A route that loads the caller's account (loadPrincipal) refuses a deactivated one. */
export const SIGNED_IN: ProblemCodes = { ...TOKEN_CHECKED, 403: ["account_disabled"] };
/** A route that checks the caller's permissions (a service's scope is derived: see openapi.ts). */
export const PERMISSION_CHECKED: ProblemCodes = { 403: ["forbidden"] };
/** A route with a query string: a value off its schema. */
export const QUERY_STRING: ProblemCodes = { 400: ["validation_failed"] };
/** A route that takes a JSON body. */
export const JSON_BODY: ProblemCodes = { 400: ["validation_failed", "bad_request"], 415: ["unsupported_media_type"] };
export const NOT_FOUND: ProblemCodes = { 404: ["not_found"] };
export const CONFLICT: ProblemCodes = { 409: ["conflict"] };
/** A cursor past what is kept. */
export const GONE: ProblemCodes = { 410: ["gone"] };
/** The database or the identity provider unavailable, on a route that checks no token. */
export const UNAVAILABLE: ProblemCodes = { 503: ["unavailable"] };

/**
 * A route's error responses: every status of the sets given, each declared as problem+json whose
 * `code` is one of the codes the sets name for it.
 */
export function problems(...sets: ProblemCodes[]): Record<number, ProblemResponse> {
  const merged = new Map<number, Set<string>>();
  for (const set of sets) {
    for (const [status, codes] of Object.entries(set)) {
      const known = merged.get(Number(status)) ?? new Set<string>();
      for (const code of codes ?? []) known.add(code);
      merged.set(Number(status), known);
    }
  }
  return Object.fromEntries([...merged].sort(([a], [b]) => a - b).map(([status, codes]) => [status, problemResponse(status, [...codes])]));
}

export interface ProblemResponse {
  description: string;
  content: { [PROBLEM_MEDIA_TYPE]: { schema: { allOf: [{ $ref: string }, { type: "object"; required: ["code"]; properties: { code: { type: "string"; enum: string[] } } }] } } };
}

function problemResponse(status: number, codes: string[]): ProblemResponse {
  return {
    description: describe(status),
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: { allOf: [{ $ref: "Problem#" }, { type: "object", required: ["code"], properties: { code: { type: "string", enum: codes } } }] },
      },
    },
  };
}

/** Adds codes to a route's declared error responses (a new status included). */
export function withProblemCodes(response: Record<string, unknown>, extra: ProblemCodes): Record<string, unknown> {
  const next = { ...response };
  for (const [status, codes] of Object.entries(extra)) {
    const declared = next[status] as ProblemResponse | undefined;
    const had = declared?.content[PROBLEM_MEDIA_TYPE].schema.allOf[1].properties.code.enum ?? [];
    next[status] = problemResponse(Number(status), [...new Set([...had, ...(codes ?? [])])]);
  }
  return next;
}

/** The OpenAPI security requirement of a route that takes a person's bearer token. */
export const BEARER = [{ bearerAuth: [] }];

function describe(status: number): string {
  switch (status) {
    case 400: return "Malformed or invalid input (validation_failed, bad_request)";
    case 401: return "No valid bearer token (token_* codes)";
    case 403: return "Not allowed (forbidden, account_disabled)";
    case 404: return "No such resource, or not yours to see";
    case 409: return "Conflicts with what exists (conflict)";
    case 410: return "No longer kept (gone)";
    case 415: return "Body not sent as application/json";
    case 429: return "Too many failed attempts";
    case 503: return "Signing keys or database unavailable; retry after Retry-After";
    default: return "Error";
  }
}
