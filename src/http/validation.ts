// Request validation. Bodies are validated strictly — no coercion, unknown properties refused
// rather than stripped, every error reported — while query strings and path parameters keep
// Fastify's coercion ("?page=2" is a number).
import type { FastifySchemaCompiler } from "fastify";
import { Ajv, type ErrorObject, type Options } from "ajv";
import addFormatsModule from "ajv-formats";
import { isValidPhoneNumber } from "libphonenumber-js";
import type { FieldError } from "./problem.ts";

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Valid IANA time zone names, aliases included (US/Pacific), as this Node's ICU knows them. */
export function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** E.164 only: national numbers are ambiguous without a country. */
export function isE164Phone(value: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(value) && isValidPhoneNumber(value);
}

const FORMAT_MESSAGES: Record<string, string> = {
  "e164-phone": "must be a phone number in E.164 international format, such as +14155552671",
  "iana-time-zone": "must be an IANA time zone name, such as America/Los_Angeles",
  email: "must be an email address",
  uuid: "must be a UUID",
};

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, removeAdditional: false, ...options });
  addFormats(ajv);
  ajv.addFormat("e164-phone", isE164Phone);
  ajv.addFormat("iana-time-zone", isTimeZone);
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv({ coerceTypes: false, useDefaults: false });
  const lenient = createAjv({ coerceTypes: "array", useDefaults: true });
  return ({ schema, httpPart }) => (httpPart === "body" ? strict : lenient).compile(schema as object);
}

/** One entry per offending field, with a message a person can act on. */
export function fieldErrors(errors: ErrorObject[], refusal: (field: string) => string): FieldError[] {
  const byField = new Map<string, string>();
  for (const e of errors) {
    const base = e.instancePath.replace(/^\//, "").replaceAll("/", ".");
    let field = base || "body";
    let message = e.message ?? "is invalid";
    if (e.keyword === "additionalProperties") {
      field = base ? `${base}.${String(e.params.additionalProperty)}` : String(e.params.additionalProperty);
      message = refusal(field);
    } else if (e.keyword === "required") {
      field = base ? `${base}.${String(e.params.missingProperty)}` : String(e.params.missingProperty);
      message = "is required";
    } else if (e.keyword === "type") {
      message = `must be ${([] as unknown[]).concat(e.params.type).join(" or ")}`;
    } else if (e.keyword === "format") {
      message = FORMAT_MESSAGES[String(e.params.format)] ?? message;
    }
    if (!byField.has(field)) byField.set(field, message);
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}
