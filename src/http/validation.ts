// Request validation. Bodies are validated strictly — no coercion, unknown properties refused
// rather than stripped, every error reported (up to MAX_LISTED_ERRORS, then counted) — while query
// strings and path parameters keep Fastify's coercion ("?page=2" is a number).
import type { FastifySchemaCompiler } from "fastify";
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { isValidPhoneNumber } from "libphonenumber-js";
import { checkBody, OMITTED_KEYWORD, planFor } from "./body-guard.ts";
import { MAX_LISTED_ERRORS, type FieldError, type FieldErrors } from "./problem.ts";

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

/** Ajv with the formats this API checks (e164-phone, iana-time-zone, ajv-formats' ones). */
export function createAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, removeAdditional: false, ...options });
  addFormats(ajv);
  ajv.addFormat("e164-phone", isE164Phone);
  ajv.addFormat("iana-time-zone", isTimeZone);
  return ajv;
}

const NUL_MESSAGE = "must not contain the NUL character (U+0000)";

/**
 * Strings holding U+0000, which PostgreSQL text cannot store: such a value reached the database
 * and came back as a 500. Run on input that passed its schema, so its size is the schema's (a
 * query string's, the URL's).
 */
function nulErrors(data: unknown, path = "", found: ErrorObject[] = []): ErrorObject[] {
  if (typeof data === "string") {
    if (data.includes("\u0000")) found.push({ keyword: "nul", instancePath: path, schemaPath: "", params: {}, message: NUL_MESSAGE });
  } else if (typeof data === "object" && data !== null) {
    for (const [key, value] of Object.entries(data)) nulErrors(value, `${path}/${key}`, found);
  }
  return found;
}

/** The schema's validation, then the NUL check on what passed it. */
function withNulCheck(validate: (data: unknown) => boolean, errorsOf: () => ErrorObject[] | null | undefined) {
  const check = Object.assign(
    (data: unknown): boolean => {
      if (!validate(data)) {
        check.errors = errorsOf();
        return false;
      }
      const found = nulErrors(data);
      check.errors = found.length > 0 ? found : null;
      return found.length === 0;
    },
    { errors: null as ErrorObject[] | null | undefined },
  );
  return check;
}

/** Ajv on bodies, behind the pre-pass of body-guard.ts (only routes that take a body pay for it). */
function guardedBodyValidator(validate: ValidateFunction, schema: unknown): (data: unknown) => boolean {
  const plan = planFor(schema);
  if (!plan) return withNulCheck(validate, () => validate.errors);
  let errors: ErrorObject[] | null | undefined;
  const guarded = (data: unknown): boolean => {
    const overflow = checkBody(data, plan);
    if (!overflow) {
      const valid = validate(data);
      errors = validate.errors;
      return valid;
    }
    validate(overflow.pruned);
    errors = [...(validate.errors ?? []), ...overflow.errors];
    return false;
  };
  return withNulCheck(guarded, () => errors);
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv({ coerceTypes: false, useDefaults: false });
  const lenient = createAjv({ coerceTypes: "array", useDefaults: true });
  return ({ schema, httpPart }) => {
    if (httpPart === "body") return guardedBodyValidator(strict.compile(schema as object), schema);
    const validate = lenient.compile(schema as object);
    // Query strings reach the database (filters); path parameters are matched, never stored.
    return httpPart === "querystring" ? withNulCheck(validate, () => validate.errors) : validate;
  };
}

/** Field names are echoed back: a 500 KB key must not come back whole. */
const MAX_FIELD_CHARS = 64;

function fieldName(base: string, key: unknown): string {
  const field = base && key !== undefined ? `${base}.${String(key)}` : key !== undefined ? String(key) : base || "body";
  return field.length > MAX_FIELD_CHARS ? `${field.slice(0, MAX_FIELD_CHARS)}…` : field;
}

/**
 * One entry per offending field, with a message a person can act on: the first
 * MAX_LISTED_ERRORS of them listed, the rest counted.
 */
export function fieldErrors(errors: ErrorObject[], refusal: (field: string) => string): FieldErrors {
  const byField = new Map<string, string>();
  let omitted = 0;
  for (const e of errors) {
    if (e.keyword === OMITTED_KEYWORD) {
      omitted += Number(e.params.count) || 0;
      continue;
    }
    const base = e.instancePath.replace(/^\//, "").replaceAll("/", ".");
    let field = fieldName(base, undefined);
    let message = e.message ?? "is invalid";
    if (e.keyword === "additionalProperties") {
      field = fieldName(base, e.params.additionalProperty);
      message = refusal(field);
    } else if (e.keyword === "required") {
      field = fieldName(base, e.params.missingProperty);
      message = "is required";
    } else if (e.keyword === "type") {
      message = `must be ${([] as unknown[]).concat(e.params.type).join(" or ")}`;
    } else if (e.keyword === "format") {
      message = FORMAT_MESSAGES[String(e.params.format)] ?? message;
    }
    if (!byField.has(field)) byField.set(field, message);
  }
  const all: FieldError[] = [...byField].map(([field, message]) => ({ field, message }));
  return { listed: all.slice(0, MAX_LISTED_ERRORS), omitted: omitted + Math.max(0, all.length - MAX_LISTED_ERRORS) };
}
