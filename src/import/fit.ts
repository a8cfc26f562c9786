// One VRMS value to what the profile or project holds: trimmed, checked against the limits the API
// enforces (users/profile-schema.ts, projects/schemas.ts), cut to fit where a cut keeps meaning,
// left out where it does not. Each loss is returned as a warning, never a conflict.
import { fullFormats } from "ajv-formats/dist/formats.js";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { isE164Phone } from "../http/validation.ts";

export interface Fitted<T> {
  value: T | null;
  /** Why the value was cut or left out; absent when it fit as it was. */
  warning?: string;
}

const kept = <T>(value: T): Fitted<T> => ({ value });
const NONE: Fitted<never> = { value: null };

export function fitText(raw: string | undefined, max: number): Fitted<string> {
  const value = raw?.trim();
  if (!value) return NONE;
  // By code points, so that a cut never splits a surrogate pair.
  const chars = [...value];
  if (chars.length <= max) return kept(value);
  return { value: chars.slice(0, max).join("").trimEnd(), warning: `cut to ${max} characters (was ${chars.length})` };
}

export const PROFILE_LIMITS = { name: 150, jobTitle: 150, skills: 2000, email: 254, projectName: 200, description: 2000, url: 2048 } as const;

/** E.164 as the profile takes it; a US national number ("(213) 555-0101") is read as one. */
export function fitPhone(raw: string | undefined): Fitted<string> {
  const value = raw?.trim();
  if (!value) return NONE;
  if (isE164Phone(value)) return kept(value);
  const parsed = parsePhoneNumberFromString(value, "US");
  if (parsed?.isValid() && isE164Phone(parsed.number)) return kept(parsed.number);
  return { value: null, warning: "is not a phone number; left out" };
}

const GITHUB_HANDLE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

export function fitGithubHandle(raw: string | undefined): Fitted<string> {
  const value = raw?.trim().replace(/^@/, "");
  if (!value) return NONE;
  return GITHUB_HANDLE.test(value) ? kept(value) : { value: null, warning: "is not a GitHub handle; left out" };
}

/** VRMS's slackName is mostly a display name; the profile keeps Slack member ids (U012AB3CD) only. */
export function slackMemberId(raw: string | undefined): string | null {
  const value = raw?.trim();
  return value && /^[A-Z0-9]{2,32}$/.test(value) ? value : null;
}

/** Skills joined by ", ", each kept whole: those that do not fit are left out. */
export function fitSkills(skills: readonly string[], max: number): Fitted<string> {
  const keptSkills: string[] = [];
  let length = 0;
  let dropped = 0;
  for (const skill of skills) {
    const add = [...skill].length + (keptSkills.length ? 2 : 0);
    if (length + add <= max) {
      keptSkills.push(skill);
      length += add;
    } else dropped++;
  }
  const value = keptSkills.length ? keptSkills.join(", ") : null;
  return dropped ? { value, warning: `${dropped} skill(s) left out to fit ${max} characters` } : { value };
}

export function fitUrl(raw: string | undefined): Fitted<string> {
  const value = raw?.trim();
  if (!value) return NONE;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { value: null, warning: "is not a URL; left out" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { value: null, warning: "is not an http(s) URL; left out" };
  if (value.length > PROFILE_LIMITS.url) return { value: null, warning: `is longer than ${PROFILE_LIMITS.url} characters; left out` };
  return kept(value);
}

/**
 * An address as the profile's `email` format takes it (ajv-formats', the API's own): ASCII only,
 * so no terminal escape, no IDN and no Unicode case folding to another address (the Kelvin sign
 * K lower-cases to "k": "\u212Aate@…" would have merged with kate@…). Tested before lower-casing.
 */
const EMAIL = fullFormats.email as RegExp;

/** Trimmed and lower-cased; undefined when it is not an address the profile takes. */
export function normalizeEmail(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value || value.length > PROFILE_LIMITS.email || value.indexOf("@") > 64 || !EMAIL.test(value)) return undefined;
  return value.toLowerCase();
}

export function isGmail(email: string): boolean {
  return /@(gmail|googlemail)\.com$/.test(email);
}

/** Case-insensitive de-duplication keeping each value's first spelling, in order. */
export function uniqueCaseless(values: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    const key = value.toLowerCase();
    if (value && !seen.has(key)) {
      seen.add(key);
      out.push(value);
    }
  }
  return out;
}
