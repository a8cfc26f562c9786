// Queries on the users tables; nothing else in the server writes SQL for users.
import { and, count, eq, exists, getTableColumns, ilike, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { runPrepared } from "../db/prepared.ts";
import type { LedScope } from "../authz/relationship.ts";
import { asActor, inScopes } from "../permissions/repository.ts";
import { userPermissions } from "../permissions/tables.ts";
import type { Ordering } from "./profile-schema.ts";
import { vrmsUserIds } from "../import/tables.ts";
import { keepAnAdmin } from "./last-admin.ts";
import { users, userTombstones, type User } from "./tables.ts";

export interface NewUser {
  cognitoSub: string;
  username: string;
  email?: string | null;
  emailVerified?: boolean;
  firstName?: string | null;
  lastName?: string | null;
  /** Whether the creator is about to ask Cognito (GetUser): the attempt counts as this user's check. */
  checkingCognito?: boolean;
}

/** Columns a PATCH may write (user-owned fields and is_active). */
export type ProfileChanges = Partial<Omit<User, "uuid" | "cognitoSub" | "username" | "email" | "emailVerified" | "lastLogin" | "cognitoCheckedAt" | "createdAt" | "updatedAt">>;

/** A profile made by an import (import/apply.ts): every field at once, the account's email verified. */
export interface ImportedProfile {
  cognitoSub: string;
  username: string;
  email: string;
  fields: Omit<ProfileChanges, "isActive" | "timeZone" | "linkedinAccount" | "targetSkills" | "preferredEmail">;
  isActive: boolean;
  createdAt: Date | null;
}

export interface UserFilter {
  email?: string;
  username?: string;
  cognitoSub?: string;
  isActive?: boolean;
  search?: string;
  /** The user imported from VRMS with this _id (import/tables.ts). */
  vrmsId?: string;
  /** Only users holding a permission in one of these scopes (a project, or a practice area of one). */
  inScopes?: LedScope[];
}


const ORDER_COLUMNS = { created_at: users.createdAt, email: users.email, last_name: users.lastName } as const;

// A malformed id names no user: answered here rather than as a database type error.
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface CognitoFields {
  username?: string;
  email?: string | null;
  emailVerified?: boolean;
  /** Only when the profile has just been created from an access token. */
  firstName?: string;
  lastName?: string;
}

// One letter per Cognito field, for the names of the prepared updates.
const COGNITO_FIELD_CODES: Record<keyof CognitoFields, string> = { email: "e", emailVerified: "v", firstName: "f", lastName: "l", username: "u" };

/**
 * The statements of a user's first and every-second requests, built once: Drizzle builds a users
 * select in ~170 µs of CPU, a prepared one runs in ~50 µs (case E in BENCHMARKS.md).
 */
function prepareStatements(db: Db) {
  const sub = sql.placeholder("sub");
  return {
    findBySub: db.select().from(users).where(eq(users.cognitoSub, sub)).limit(1).prepare("users_find_by_sub"),
    createOrGet: db
      .insert(users)
      .values({
        cognitoSub: sub,
        username: sql.placeholder("username"),
        email: sql.placeholder("email"),
        emailVerified: sql.placeholder("emailVerified"),
        firstName: sql.placeholder("firstName"),
        lastName: sql.placeholder("lastName"),
        // The database's clock, like created_at's.
        lastLogin: sql`now()`,
        // The creator is about to ask Cognito (GetUser): the attempt counts as this user's check.
        cognitoCheckedAt: sql`case when ${sql.placeholder("checking")}::boolean then now() end`,
        // A deactivated user whose profile was deleted comes back deactivated.
        isActive: sql`not exists (select 1 from ${userTombstones} where ${userTombstones.cognitoSub} = ${sub})`,
      })
      .onConflictDoUpdate({ target: users.cognitoSub, set: { cognitoSub: sql`excluded.cognito_sub` } })
      // xmax is 0 only for a row this statement inserted (PostgreSQL and PGlite alike).
      .returning({ ...getTableColumns(users), inserted: sql<boolean>`(xmax = 0)` })
      .prepare("users_create_or_get"),
    touchLastLogin: db
      .update(users)
      .set({ lastLogin: sql`now()` })
      .where(
        and(
          eq(users.uuid, sql.placeholder("id")),
          or(isNull(users.lastLogin), lt(users.lastLogin, sql`now() - make_interval(secs => ${sql.placeholder("seconds")})`)),
        ),
      )
      .returning({ lastLogin: users.lastLogin })
      .prepare("users_touch_last_login"),
  };
}

/** Cognito's fields `names` of one user, set from placeholders of the same names. */
function prepareCognitoUpdate(db: Db, names: (keyof CognitoFields)[]) {
  const set = Object.fromEntries(names.map((name) => [name, sql`${sql.placeholder(name)}`]));
  return db
    .update(users)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(users.uuid, sql.placeholder("id")))
    .returning()
    .prepare(`users_cognito_update_${names.map((name) => COGNITO_FIELD_CODES[name]).join("")}`);
}

export class UserRepository {
  private prepared: ReturnType<typeof prepareStatements> | undefined;
  private readonly cognitoUpdates = new Map<string, ReturnType<typeof prepareCognitoUpdate>>();

  constructor(private readonly db: Db) {}

  // At first use, not construction: an app built only to be documented has no database.
  private get statements(): ReturnType<typeof prepareStatements> {
    return (this.prepared ??= prepareStatements(this.db));
  }

  async findById(id: string): Promise<User | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const rows = await this.db.select().from(users).where(eq(users.uuid, id)).limit(1);
    return rows[0];
  }

  async findByIds(ids: string[]): Promise<User[]> {
    const valid = ids.filter((id) => UUID_RE.test(id));
    if (valid.length === 0) return [];
    return this.db.select().from(users).where(inArray(users.uuid, valid));
  }

  /**
   * The users a person is named by when a lead adds them to a project: the exact email Cognito
   * verified, or the GitHub handle, either case-insensitive. At most two: two mean "ambiguous".
   * The handle has no index: grants are rare, and a scan of the users table is cheap next to one.
   */
  async findByLogin(login: { email: string } | { githubHandle: string }): Promise<User[]> {
    return this.db.select().from(users).where(namedBy(login)).orderBy(users.uuid).limit(2);
  }

  /**
   * The person so named, if they are `among.self` or hold a grant in one of `among.scopes`: one
   * statement whether the name is unknown or someone else's. A lead who may grant only to people
   * they lead must not tell the two apart by time either (attacker review: a second read, of a
   * known person's grants, made their 403 6 ms slower than an unknown email's).
   */
  async findNamedAmong(name: { uuid: string } | { email: string } | { githubHandle: string }, among: { self: string | null; scopes: readonly LedScope[] }): Promise<User[]> {
    if ("uuid" in name && !UUID_RE.test(name.uuid)) return [];
    const held = exists(this.db.select({ one: sql`1` }).from(userPermissions).where(and(eq(userPermissions.userUuid, users.uuid), inScopes(userPermissions.projectUuid, userPermissions.practiceAreaUuid, among.scopes))));
    const theirs = among.self === null ? held : or(eq(users.uuid, among.self), held)!;
    const where = "uuid" in name ? eq(users.uuid, name.uuid) : namedBy(name);
    return this.db.select().from(users).where(and(where, theirs)).orderBy(users.uuid).limit(2);
  }

  async findBySub(sub: string): Promise<User | undefined> {
    const rows = await runPrepared(() => this.statements.findBySub.execute({ sub }));
    return rows[0];
  }

  /**
   * One statement, safe under any concurrency on any number of instances: the loser of a race
   * for the same sub gets the winner's row (the no-op update makes RETURNING yield it).
   */
  async createOrGet({ checkingCognito, ...user }: NewUser): Promise<{ user: User; inserted: boolean }> {
    const rows = await runPrepared(() => this.statements.createOrGet.execute({
      sub: user.cognitoSub,
      username: user.username,
      email: user.email ?? null,
      emailVerified: user.emailVerified ?? false,
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      checking: checkingCognito === true,
    }));
    const { inserted, ...row } = rows[0]!;
    return { user: row, inserted };
  }

  /**
   * The imported profile, or the one that has the sub already (its owner signed in meanwhile: their
   * profile is left as it is). Deactivated when the sub has a tombstone, as createOrGet does.
   */
  async createImported(profile: ImportedProfile): Promise<{ uuid: string; inserted: boolean }> {
    const rows = await this.db
      .insert(users)
      .values({
        ...profile.fields,
        cognitoSub: profile.cognitoSub,
        username: profile.username,
        email: profile.email,
        emailVerified: true,
        isActive: sql`${profile.isActive}::boolean and not exists (select 1 from ${userTombstones} where ${userTombstones.cognitoSub} = ${profile.cognitoSub})`,
        ...(profile.createdAt ? { createdAt: profile.createdAt } : {}),
      })
      .onConflictDoNothing({ target: users.cognitoSub })
      .returning({ uuid: users.uuid });
    if (rows[0]) return { uuid: rows[0].uuid, inserted: true };
    const found = await this.db.select({ uuid: users.uuid }).from(users).where(eq(users.cognitoSub, profile.cognitoSub)).limit(1);
    return { uuid: found[0]!.uuid, inserted: false };
  }

  async updateCognitoFields(id: string, fields: CognitoFields): Promise<User | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    // Prepared once per set of fields (at most 2^5): these follow a new user's first request.
    const names = (Object.keys(fields) as (keyof CognitoFields)[]).filter((name) => fields[name] !== undefined).sort();
    // Each name's letter names the statement: a field without one would share another's name.
    const unknown = names.find((name) => !Object.hasOwn(COGNITO_FIELD_CODES, name));
    if (unknown) throw new Error(`not a Cognito field: ${unknown}`);
    const key = names.join(",");
    let statement = this.cognitoUpdates.get(key);
    if (!statement) {
      statement = prepareCognitoUpdate(this.db, names);
      this.cognitoUpdates.set(key, statement);
    }
    const rows = await runPrepared(() => statement.execute({ ...fields, id }));
    return rows[0];
  }

  /**
   * Claims this user's Cognito lookup for the next `intervalSeconds` across every instance;
   * false when another request made one within that interval.
   */
  async claimCognitoCheck(id: string, intervalSeconds: number): Promise<boolean> {
    const rows = await this.db
      .update(users)
      .set({ cognitoCheckedAt: sql`now()` })
      .where(
        and(
          eq(users.uuid, id),
          or(isNull(users.cognitoCheckedAt), lt(users.cognitoCheckedAt, sql`now() - make_interval(secs => ${intervalSeconds})`)),
        ),
      )
      .returning({ uuid: users.uuid });
    return rows.length > 0;
  }

  /** Writes last_login only when it is older than `intervalSeconds`, not on every request. */
  async touchLastLogin(id: string, intervalSeconds: number): Promise<Date | undefined> {
    const rows = await runPrepared(() => this.statements.touchLastLogin.execute({ id, seconds: intervalSeconds }));
    return rows[0]?.lastLogin ?? undefined;
  }

  /**
   * `actor` (a user's uuid or `service:<client_id>`) is who the change's events name. Deactivating
   * the last active adminGlobal throws LastAdminError (last-admin.ts) and changes nothing.
   */
  async updateProfile(id: string, changes: ProfileChanges, actor: string): Promise<User | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return asActor(this.db, actor, async (tx) => {
      if (changes.isActive === false) await keepAnAdmin(tx as unknown as Db, id);
      return this.update(id, changes, tx as unknown as Db);
    });
  }

  /** Throws LastAdminError when `id` is the last active adminGlobal (before signing them out everywhere). */
  async refuseLastAdmin(id: string): Promise<void> {
    await this.db.transaction(async (tx) => keepAnAdmin(tx as unknown as Db, id));
  }

  private async update(id: string, set: CognitoFields | ProfileChanges, db: Db = this.db): Promise<User | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const rows = await db
      .update(users)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(users.uuid, id))
      .returning();
    return rows[0];
  }

  /**
   * The deleted user's Cognito sub, or undefined when there was no such user. A deactivated user
   * leaves a tombstone, so that their next token recreates them deactivated (see createOrGet).
   */
  async delete(id: string, actor: string): Promise<string | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    // The user's grants go with them (a foreign key); their history rows name the actor.
    return asActor(this.db, actor, async (tx) => {
      await keepAnAdmin(tx, id);
      const rows = await tx.delete(users).where(eq(users.uuid, id)).returning({ sub: users.cognitoSub, isActive: users.isActive });
      const deleted = rows[0];
      if (!deleted) return undefined;
      if (deleted.isActive) await tx.delete(userTombstones).where(eq(userTombstones.cognitoSub, deleted.sub));
      else await tx.insert(userTombstones).values({ cognitoSub: deleted.sub }).onConflictDoNothing();
      return deleted.sub;
    });
  }

  async list(filter: UserFilter, ordering: Ordering, limit: number, offset: number): Promise<UserPage> {
    const where = listWhere(this.db, filter);
    const [rows, counted] = await Promise.all([
      this.db.select().from(users).where(where).orderBy(...listOrder(ordering)).limit(limit + 1).offset(offset),
      this.db.select({ n: count() }).from(this.db.select({ one: sql`1` }).from(users).where(where).limit(EXACT_COUNT_UP_TO + 1).as("capped")),
    ]);
    const more = rows.length > limit;
    if (more) rows.pop();
    const exact = counted[0]?.n ?? 0;
    if (exact <= EXACT_COUNT_UP_TO) return { count: exact, countIsEstimate: false, more, rows };
    // Beyond the cap, the planner's estimate (from the table's statistics): counting every match
    // would read every match, on every page.
    const estimate = await this.estimateRows(where);
    // The rows read are a lower bound; an empty page past the end says nothing of how many there are.
    const seen = rows.length > 0 ? offset + rows.length + (more ? 1 : 0) : 0;
    return { count: Math.max(estimate, EXACT_COUNT_UP_TO + 1, seen), countIsEstimate: true, more, rows };
  }

  private async estimateRows(where: SQL | undefined): Promise<number> {
    const query = sql`explain (format json) select 1 from ${users}${where ? sql` where ${where}` : sql``}`;
    const result = (await this.db.execute(query)) as unknown as { rows: Record<string, unknown>[] };
    // node-postgres parses the json column; PGlite too. Either way one row, one column.
    const value = Object.values(result.rows[0] ?? {})[0];
    const plan = (typeof value === "string" ? JSON.parse(value) : value) as [{ Plan: { "Plan Rows": number } }];
    return Math.round(plan[0].Plan["Plan Rows"]);
  }
}

export interface UserPage {
  count: number;
  /** Whether count is the planner's estimate (more than EXACT_COUNT_UP_TO matches). */
  countIsEstimate: boolean;
  /** Whether a later page has rows. */
  more: boolean;
  rows: User[];
}

/** Matches counted exactly up to this many; an estimate beyond. */
export const EXACT_COUNT_UP_TO = 10_000;

/** The exact email Cognito verified, or the GitHub handle, either case-insensitive. */
function namedBy(login: { email: string } | { githubHandle: string }): SQL {
  return "email" in login
    ? and(sql`lower(${users.email}) = lower(${login.email})`, eq(users.emailVerified, true))!
    : sql`lower(${users.githubHandle}) = lower(${login.githubHandle})`;
}

export function listWhere(db: Db, filter: UserFilter): SQL | undefined {
  const conditions: SQL[] = [];
  // lower(email) as users_email_lower_idx has it.
  if (filter.email !== undefined) conditions.push(sql`lower(${users.email}) = lower(${filter.email})`);
  if (filter.username !== undefined) conditions.push(eq(users.username, filter.username));
  // cognito_sub is unique: its own index.
  if (filter.cognitoSub !== undefined) conditions.push(eq(users.cognitoSub, filter.cognitoSub));
  if (filter.isActive !== undefined) conditions.push(eq(users.isActive, filter.isActive));
  if (filter.vrmsId !== undefined) {
    conditions.push(exists(db.select({ one: sql`1` }).from(vrmsUserIds).where(and(eq(vrmsUserIds.userUuid, users.uuid), eq(vrmsUserIds.vrmsId, filter.vrmsId.toLowerCase())))));
  }
  if (filter.search) {
    // Each column's trigram index serves its ILIKE; the planner ORs the four (search of 3
    // characters or more; shorter ones scan in the ordering's index).
    const pattern = likePattern(filter.search);
    conditions.push(
      or(ilike(users.email, pattern), ilike(users.username, pattern), ilike(users.firstName, pattern), ilike(users.lastName, pattern))!,
    );
  }
  if (filter.inScopes) {
    const held = inScopes(userPermissions.projectUuid, userPermissions.practiceAreaUuid, filter.inScopes);
    conditions.push(exists(db.select({ one: sql`1` }).from(userPermissions).where(and(eq(userPermissions.userUuid, users.uuid), held))));
  }
  return conditions.length ? and(...conditions) : undefined;
}

/**
 * The ORDER BY of a list: the column, then uuid so that pages never overlap or skip rows, each in
 * exactly the direction and null placement of one index (users/tables.ts). Nulls go last both ways;
 * created_at and uuid hold none, so for them the placement is the one a backward scan gives.
 */
export function listOrder(ordering: Ordering): SQL[] {
  const descending = ordering.startsWith("-");
  const name = ordering.replace(/^-/, "") as keyof typeof ORDER_COLUMNS;
  const column = ORDER_COLUMNS[name];
  if (!descending) return [sql`${column} asc nulls last`, sql`${users.uuid} asc`];
  if (name === "created_at") return [sql`${column} desc`, sql`${users.uuid} desc`];
  return [sql`${column} desc nulls last`, sql`${users.uuid} desc nulls last`];
}
