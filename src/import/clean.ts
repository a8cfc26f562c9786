// Pure: VRMS records to the people and projects to import. Emails trimmed and lower-cased;
// records sharing an email or a GitHub handle (case-insensitively) are one person: lists unioned,
// the highest access level and the earliest createdDate kept, other fields from the most recently
// created record that has them. A record without a usable email is a conflict, never a guess.
import { fitGithubHandle, fitPhone, fitSkills, fitText, fitUrl, isGmail, normalizeEmail, PROFILE_LIMITS, slackMemberId, uniqueCaseless, type Fitted } from "./fit.ts";
import type { VrmsProject, VrmsUser } from "./records.ts";

export const ACCESS_LEVELS = ["user", "admin", "superadmin"] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export interface Person {
  /** Every VRMS _id of the person, sorted. */
  vrmsIds: string[];
  email: string;
  gmail: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  textingOk: boolean;
  githubHandle: string | null;
  slackMemberId: string | null;
  currentJobTitle: string | null;
  targetJobTitle: string | null;
  currentSkills: string | null;
  isActive: boolean;
  /** The earliest createdDate of the person's records. */
  createdAt: Date | null;
  accessLevel: AccessLevel;
  /** VRMS project ids, de-duplicated. */
  memberOf: string[];
  manages: string[];
}

export interface CleanProject {
  vrmsId: string;
  name: string;
  description: string | null;
  githubUrl: string | null;
  slackUrl: string | null;
}

export interface Merge {
  /** The merged records' ids, the most recently created first (its fields won). */
  ids: string[];
  email: string;
  /** What joined them: `email x`, `GitHub handle y`. */
  by: string[];
  /** Addresses of the merged records other than the one kept. */
  otherEmails: string[];
  accessLevel: AccessLevel;
}

export type Collection = "users" | "projects";

export interface Conflict {
  collection: Collection;
  id: string;
  /** `line 3` or `index 2` of the file. */
  where: string;
  reason: string;
}

export interface Warning {
  collection: Collection;
  id: string;
  field: string;
  message: string;
}

export interface Cleaned {
  people: Person[];
  projects: CleanProject[];
  merges: Merge[];
  conflicts: Conflict[];
  warnings: Warning[];
  /** slackName values that are display names, not member ids: left out (counted, not listed). */
  slackNamesLeftOut: number;
}

const LEVEL_RANK: Record<AccessLevel, number> = { user: 0, admin: 1, superadmin: 2 };

/** When a record was created: createdDate, else the ObjectId's own timestamp (its first 4 bytes). */
export function createdAt(record: { id: string; createdDate?: Date | undefined }): number {
  return record.createdDate?.getTime() ?? parseInt(record.id.slice(0, 8), 16) * 1000;
}

/** The most recently created first; ties by id, so that the order never depends on the file's. */
const newestFirst = (a: VrmsUser, b: VrmsUser) => createdAt(b) - createdAt(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

class UnionFind {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]!]!;
      i = this.parent[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** A handle GitHub would take, lower-cased: free text such as "N/A" or "-" joins no one. */
const githubKey = (record: VrmsUser) => fitGithubHandle(record.githubHandle).value?.toLowerCase() ?? undefined;

/**
 * Addresses one GitHub handle may join: more is not one person under several addresses but a
 * placeholder ("none", "test") typed by many.
 */
export const MAX_ADDRESSES_PER_HANDLE = 3;

const rights = (records: readonly VrmsUser[]) => ({
  level: records.reduce((max, r) => Math.max(max, LEVEL_RANK[r.accessLevel as AccessLevel]), 0),
  manages: new Set(records.flatMap((r) => r.managedProjects)),
});

export function cleanUsers(records: readonly VrmsUser[]): Omit<Cleaned, "projects"> {
  const conflicts: Conflict[] = [];
  const warnings: Warning[] = [];
  const usable: VrmsUser[] = [];
  for (const r of records) {
    if (!(ACCESS_LEVELS as readonly string[]).includes(r.accessLevel)) {
      conflicts.push({ collection: "users", id: r.id, where: r.at.where, reason: `accessLevel ${JSON.stringify(r.accessLevel.slice(0, 20))} is none of user, admin, superadmin` });
    } else usable.push(r);
  }

  // Records sharing an email are one mailbox, so one person.
  const byEmail = new UnionFind(usable.length);
  const firstWithEmail = new Map<string, number>();
  usable.forEach((r, i) => {
    const email = normalizeEmail(r.email);
    if (!email) return;
    const first = firstWithEmail.get(email);
    if (first === undefined) firstWithEmail.set(email, i);
    else byEmail.union(first, i);
  });
  const mailbox = usable.map((_, i) => byEmail.find(i));

  // Records sharing a GitHub handle are one person too, unless the handle is everybody's.
  const sets = new UnionFind(usable.length);
  usable.forEach((_, i) => sets.union(mailbox[i]!, i));
  const withHandle = new Map<string, number[]>();
  usable.forEach((r, i) => {
    const github = githubKey(r);
    if (!github) return;
    const members = withHandle.get(github);
    if (members) members.push(i);
    else withHandle.set(github, [i]);
  });
  for (const [handle, members] of withHandle) {
    const mailboxes = new Set(members.map((i) => mailbox[i]));
    if (mailboxes.size > MAX_ADDRESSES_PER_HANDLE) {
      warnings.push({ collection: "users", id: usable[members[0]!]!.id, field: "githubHandle", message: `${handle} is the handle of records under more than ${MAX_ADDRESSES_PER_HANDLE} addresses (or none): a placeholder? no one merged by it` });
      continue;
    }
    for (const i of members) sets.union(members[0]!, i);
  }
  const groups = new Map<number, VrmsUser[]>();
  usable.forEach((r, i) => {
    const root = sets.find(i);
    const group = groups.get(root);
    if (group) group.push(r);
    else groups.set(root, [r]);
  });

  // A handle is typed, not proven: joined only by it, the address kept (whose account signs in)
  // must hold by its own records every right the others bring (access level, managed projects),
  // or anyone could claim an admin's handle and sign in as that admin. Memberships are unioned:
  // VRMS's people join projects themselves.
  const mailboxOf = new Map(usable.map((r, i) => [r, mailbox[i]!]));
  const persons: VrmsUser[][] = [];
  for (const group of groups.values()) {
    const records = group.sort(newestFirst);
    const kept = records.find((r) => normalizeEmail(r.email));
    const own = kept ? records.filter((r) => mailboxOf.get(r) === mailboxOf.get(kept)) : records;
    if (own.length === records.length) {
      persons.push(records);
      continue;
    }
    const all = rights(records);
    const mine = rights(own);
    if (mine.level >= all.level && [...all.manages].every((id) => mine.manages.has(id))) {
      persons.push(records);
      continue;
    }
    const apart = new Map<number, VrmsUser[]>();
    for (const r of records) {
      const box = mailboxOf.get(r)!;
      const list = apart.get(box);
      if (list) list.push(r);
      else apart.set(box, [r]);
    }
    for (const part of apart.values()) {
      const others = records.filter((r) => !part.includes(r)).map((r) => r.id).sort();
      warnings.push({
        collection: "users",
        id: part[0]!.id,
        field: "githubHandle",
        message: `shares a GitHub handle with ${others.join(", ")} under another address, and merging them would give the address kept rights its own records do not hold (access level, managed projects): not merged, imported apart`,
      });
      persons.push(part);
    }
  }

  const people: Person[] = [];
  const merges: Merge[] = [];
  let slackNamesLeftOut = 0;
  for (const records of persons) {
    const emails = uniqueCaseless(records.flatMap((r) => normalizeEmail(r.email) ?? []));
    const email = emails[0];
    if (!email) {
      for (const r of records) {
        const reason = r.email === undefined || r.email.trim() === "" ? "no email" : "its email is not an address the profile takes";
        conflicts.push({ collection: "users", id: r.id, where: r.at.where, reason: records.length > 1 ? `${reason} (nor has any record it shares a GitHub handle with)` : reason });
      }
      continue;
    }
    const { person, fieldWarnings, slackLeftOut } = mergeRecords(records, email, emails);
    if (slackLeftOut) slackNamesLeftOut++;
    for (const w of fieldWarnings) warnings.push({ collection: "users", id: records[0]!.id, ...w });
    people.push(person);
    if (records.length > 1) merges.push({ ids: records.map((r) => r.id), email, by: joinedBy(records), otherEmails: emails.slice(1), accessLevel: person.accessLevel });
  }
  const byFirstId = (a: { vrmsIds?: string[]; ids?: string[] }, b: { vrmsIds?: string[]; ids?: string[] }) =>
    ((a.vrmsIds ?? a.ids)![0]! < (b.vrmsIds ?? b.ids)![0]! ? -1 : 1);
  people.sort(byFirstId);
  merges.sort((a, b) => ([...a.ids].sort()[0]! < [...b.ids].sort()[0]! ? -1 : 1));
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  warnings.sort((a, b) => order(a.id, b.id) || order(a.field, b.field) || order(a.message, b.message));
  return { people, merges, conflicts: sortConflicts(conflicts), warnings, slackNamesLeftOut };
}

/** Which keys two or more of the records share. */
function joinedBy(records: readonly VrmsUser[]): string[] {
  const counts = new Map<string, number>();
  for (const r of records) {
    const keys = new Set([normalizeEmail(r.email) && `email ${normalizeEmail(r.email)}`, githubKey(r) && `GitHub handle ${githubKey(r)}`].filter(Boolean) as string[]);
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([key]) => key).sort();
}

function mergeRecords(records: readonly VrmsUser[], email: string, emails: readonly string[]) {
  const fieldWarnings: { field: string; message: string }[] = [];
  const latest = <K extends keyof VrmsUser>(key: K): VrmsUser[K] | undefined => {
    for (const r of records) {
      const value = r[key];
      if (value !== undefined && !(typeof value === "string" && value.trim() === "")) return value;
    }
    return undefined;
  };
  const fit = <T>(field: string, fitted: Fitted<T>): T | null => {
    if (fitted.warning) fieldWarnings.push({ field, message: fitted.warning });
    return fitted.value;
  };
  // Not Math.min(...dates): a spread of 100,000s of arguments overflows the stack.
  const earliest = records.reduce<number | undefined>((min, r) => (r.createdDate && (min === undefined || r.createdDate.getTime() < min) ? r.createdDate.getTime() : min), undefined);
  const accessLevel = records.map((r) => r.accessLevel as AccessLevel).reduce((a, b) => (LEVEL_RANK[b] > LEVEL_RANK[a] ? b : a));
  const slackName = latest("slackName");
  const person: Person = {
    vrmsIds: records.map((r) => r.id).sort(),
    email,
    gmail: emails.find(isGmail) ?? null,
    firstName: fit("name.firstName", fitText(latest("firstName"), PROFILE_LIMITS.name)),
    lastName: fit("name.lastName", fitText(latest("lastName"), PROFILE_LIMITS.name)),
    phone: fit("phone", fitPhone(latest("phone"))),
    textingOk: latest("textingOk") ?? false,
    githubHandle: fit("githubHandle", fitGithubHandle(latest("githubHandle"))),
    slackMemberId: slackMemberId(slackName),
    currentJobTitle: fit("currentJobTitle", fitText(latest("currentJobTitle"), PROFILE_LIMITS.jobTitle)),
    targetJobTitle: fit("desiredJobTitle", fitText(latest("desiredJobTitle"), PROFILE_LIMITS.jobTitle)),
    currentSkills: fit("skillsToMatch", fitSkills(uniqueCaseless(records.flatMap((r) => r.skills)), PROFILE_LIMITS.skills)),
    isActive: latest("isActive") ?? true,
    createdAt: earliest === undefined ? null : new Date(earliest),
    accessLevel,
    memberOf: [...new Set(records.flatMap((r) => r.projects))],
    manages: [...new Set(records.flatMap((r) => r.managedProjects))],
  };
  return { person, fieldWarnings, slackLeftOut: slackName !== undefined && person.slackMemberId === null };
}

function sortConflicts(conflicts: Conflict[]): Conflict[] {
  return conflicts.sort((a, b) => a.collection.localeCompare(b.collection) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function cleanProjects(records: readonly VrmsProject[]): { projects: CleanProject[]; conflicts: Conflict[]; warnings: Warning[] } {
  const projects: CleanProject[] = [];
  const conflicts: Conflict[] = [];
  const warnings: Warning[] = [];
  const byName = new Map<string, string>();
  // The oldest project keeps a name two share: it is the one VRMS's people joined first.
  const ordered = [...records].sort((a, b) => createdAt(a) - createdAt(b) || (a.id < b.id ? -1 : 1));
  for (const r of ordered) {
    const warn = <T>(field: string, fitted: Fitted<T>): T | null => {
      if (fitted.warning) warnings.push({ collection: "projects", id: r.id, field, message: fitted.warning });
      return fitted.value;
    };
    const name = warn("name", fitText(r.name, PROFILE_LIMITS.projectName));
    if (!name) {
      conflicts.push({ collection: "projects", id: r.id, where: r.at.where, reason: "no name" });
      continue;
    }
    const holder = byName.get(name);
    if (holder) {
      conflicts.push({ collection: "projects", id: r.id, where: r.at.where, reason: `its name is also project ${holder}'s (names are unique)` });
      continue;
    }
    byName.set(name, r.id);
    const description = r.description?.trim() ? warn("description", fitText(r.description, PROFILE_LIMITS.description)) : null;
    projects.push({ vrmsId: r.id, name, description, githubUrl: warn("githubUrl", fitUrl(r.githubUrl)), slackUrl: warn("slackUrl", fitUrl(r.slackUrl)) });
  }
  projects.sort((a, b) => (a.vrmsId < b.vrmsId ? -1 : 1));
  return { projects, conflicts: sortConflicts(conflicts), warnings };
}

export function clean(users: readonly VrmsUser[], projects: readonly VrmsProject[]): Cleaned {
  const u = cleanUsers(users);
  const p = cleanProjects(projects);
  return { ...u, projects: p.projects, conflicts: [...p.conflicts, ...u.conflicts], warnings: [...p.warnings, ...u.warnings] };
}
