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

const ref = Type.Unsafe({ $ref: "Problem#" });

/** The OpenAPI security requirement of a route that takes a person's bearer token. */
export const BEARER = [{ bearerAuth: [] }];

/** Error responses of a route, by status, all problem+json. */
export function problems(...statuses: number[]): Record<number, typeof ref> {
  return Object.fromEntries(statuses.map((s) => [s, { ...ref, description: describe(s) }]));
}

function describe(status: number): string {
  switch (status) {
    case 400: return "Malformed or invalid input (validation_failed, bad_request)";
    case 401: return "No valid bearer token (token_* codes)";
    case 403: return "Not allowed (forbidden, account_disabled)";
    case 404: return "No such resource, or not yours to see";
    case 409: return "Conflicts with what exists (conflict)";
    case 415: return "Body not sent as application/json";
    case 429: return "Too many failed attempts";
    case 503: return "Signing keys or database unavailable; retry after Retry-After";
    default: return "Error";
  }
}

/** The errors every authenticated route can answer with. */
export const AUTHENTICATED_ERRORS = [401, 403, 429, 503] as const;
