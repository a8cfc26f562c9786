// Documents to typed VRMS records, field by field, reading canonical and relaxed Extended JSON
// ({"$oid"}, {"$date": ISO | {"$numberLong"}}, {"$numberInt"}). Only the fields the import uses are
// read; a wrong type there is unreadable input (exit 2) naming the field. Meaning (is this email
// usable? which access level?) is the cleaner's business, not this module's.
import { InputError, type Location } from "./input-error.ts";
import { LIMITS, type Limits } from "./limits.ts";
import type { RawDocument } from "./read-file.ts";

export interface VrmsUser {
  at: Location;
  id: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  /** As written; the cleaner decides what an unknown level means. Mongoose's default is "user". */
  accessLevel: string;
  createdDate?: Date;
  currentJobTitle?: string;
  desiredJobTitle?: string;
  skills: string[];
  projects: string[];
  managedProjects: string[];
  githubHandle?: string;
  phone?: string;
  textingOk?: boolean;
  slackName?: string;
  isActive?: boolean;
}

export interface VrmsProject {
  at: Location;
  id: string;
  name?: string;
  description?: string;
  githubUrl?: string;
  slackUrl?: string;
  createdDate?: Date;
  projectStatus?: string;
}

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

class Fields {
  constructor(
    private readonly doc: RawDocument,
    private readonly limits: Limits,
  ) {}

  fail(field: string, problem: string): never {
    throw new InputError(this.doc.at.file, this.doc.at.where, field, problem);
  }

  private raw(path: string): unknown {
    let value: unknown = this.doc.value;
    for (const part of path.split(".")) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
      value = Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
    }
    return value;
  }

  string(path: string): string | undefined {
    return this.asString(path, this.raw(path));
  }

  private asString(field: string, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") this.fail(field, `must be a string, not ${kind(value)}`);
    if (value.length > this.limits.maxStringLength) this.fail(field, `is longer than ${this.limits.maxStringLength} characters`);
    // PostgreSQL text cannot hold U+0000.
    if (value.includes("\u0000")) this.fail(field, "holds the NUL character");
    return value;
  }

  boolean(path: string): boolean | undefined {
    const value = this.raw(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") this.fail(path, `must be true or false, not ${kind(value)}`);
    return value;
  }

  objectId(path: string): string {
    const id = this.asObjectId(path, this.raw(path));
    if (id === undefined) this.fail(path, "is missing");
    return id;
  }

  /** {"$oid": "…"} as mongoexport writes it, or the plain hex string (VRMS keeps managedProjects so). */
  private asObjectId(field: string, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    const hex = isWrapper(value, "$oid") ? value.$oid : value;
    if (typeof hex !== "string" || !OBJECT_ID.test(hex)) this.fail(field, "must be an ObjectId (24 hexadecimal digits)");
    return hex.toLowerCase();
  }

  date(path: string): Date | undefined {
    const value = this.raw(path);
    if (value === undefined || value === null) return undefined;
    let ms: number | undefined;
    if (isWrapper(value, "$date")) {
      const inner = value.$date;
      if (typeof inner === "string") ms = /^\d{4}-\d{2}-\d{2}T/.test(inner) ? Date.parse(inner) : NaN;
      else if (typeof inner === "number") ms = inner;
      else if (isWrapper(inner, "$numberLong") && typeof inner.$numberLong === "string" && /^-?\d{1,16}$/.test(inner.$numberLong)) ms = Number(inner.$numberLong);
    }
    if (ms === undefined || !Number.isFinite(ms)) this.fail(path, 'must be an Extended JSON date ({"$date": "…"} or {"$date": {"$numberLong": "…"}})');
    if (ms < this.limits.earliestDate || ms > Date.now() + 86_400_000) this.fail(path, "is a date VRMS cannot have written (before 2000 or in the future)");
    return new Date(ms);
  }

  private array(path: string): unknown[] {
    const value = this.raw(path);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, `must be an array, not ${kind(value)}`);
    return value;
  }

  strings(path: string): string[] {
    return this.array(path).flatMap((v, i) => this.asString(`${path}[${i}]`, v) ?? []);
  }

  objectIds(path: string): string[] {
    return this.array(path).flatMap((v, i) => this.asObjectId(`${path}[${i}]`, v) ?? []);
  }
}

function isWrapper<K extends string>(value: unknown, key: K): value is Record<K, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && Object.hasOwn(value, key);
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function toUser(doc: RawDocument, limits = LIMITS): VrmsUser {
  const f = new Fields(doc, limits);
  const name = doc.value.name;
  if (name !== undefined && name !== null && (typeof name !== "object" || Array.isArray(name))) f.fail("name", "must be an object with firstName and lastName");
  return defined({
    at: doc.at,
    id: f.objectId("_id"),
    firstName: f.string("name.firstName"),
    lastName: f.string("name.lastName"),
    email: f.string("email"),
    accessLevel: f.string("accessLevel") ?? "user",
    createdDate: f.date("createdDate"),
    currentJobTitle: f.string("currentJobTitle"),
    desiredJobTitle: f.string("desiredJobTitle"),
    skills: f.strings("skillsToMatch"),
    projects: f.objectIds("projects"),
    managedProjects: f.objectIds("managedProjects"),
    githubHandle: f.string("githubHandle"),
    phone: f.string("phone"),
    textingOk: f.boolean("textingOk"),
    slackName: f.string("slackName"),
    isActive: f.boolean("isActive"),
  });
}

export function toProject(doc: RawDocument, limits = LIMITS): VrmsProject {
  const f = new Fields(doc, limits);
  return defined({
    at: doc.at,
    id: f.objectId("_id"),
    name: f.string("name"),
    description: f.string("description"),
    githubUrl: f.string("githubUrl"),
    slackUrl: f.string("slackUrl"),
    createdDate: f.date("createdDate"),
    projectStatus: f.string("projectStatus"),
  });
}

/** Two documents with one `_id` in one file: mongoexport never writes that, so the file is not an export. */
export function refuseRepeatedIds(records: readonly { at: Location; id: string }[]): void {
  const seen = new Map<string, Location>();
  for (const r of records) {
    const earlier = seen.get(r.id);
    if (earlier) throw new InputError(r.at.file, r.at.where, "_id", `repeats the _id of ${earlier.where}`);
    seen.set(r.id, r.at);
  }
}
