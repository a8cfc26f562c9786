// Queries on projects and practice areas; nothing else in the server writes SQL for them.
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { pgErrorCode, UNIQUE_VIOLATION } from "../db/errors.ts";
import { asActor, isUuid } from "../permissions/repository.ts";
import { vrmsProjectIds } from "../import/tables.ts";
import { practiceAreas, userPermissions, type PracticeArea } from "../permissions/tables.ts";
import { projects, type Project } from "./tables.ts";

export type Named<T> = { ok: true; row: T } | { ok: false; reason: "duplicate_name" };

export interface ProjectChanges {
  name?: string;
  description?: string | null;
  githubUrl?: string | null;
  slackUrl?: string | null;
}

export interface NewProject {
  name: string;
  description: string | null;
  githubUrl?: string | null;
  slackUrl?: string | null;
}

async function unlessDuplicate<T>(write: () => Promise<T>): Promise<Named<T>> {
  try {
    return { ok: true, row: await write() };
  } catch (err) {
    if (pgErrorCode(err)?.code === UNIQUE_VIOLATION) return { ok: false, reason: "duplicate_name" };
    throw err;
  }
}

export class ProjectRepository {
  constructor(private readonly db: Db) {}

  /** Every project, or the one imported from VRMS with this _id. */
  async list(filter: { vrmsId?: string } = {}): Promise<Project[]> {
    if (filter.vrmsId === undefined) return this.db.select().from(projects).orderBy(asc(projects.name));
    const rows = await this.db
      .select({ project: projects })
      .from(projects)
      .innerJoin(vrmsProjectIds, eq(vrmsProjectIds.projectUuid, projects.uuid))
      .where(eq(vrmsProjectIds.vrmsId, filter.vrmsId.toLowerCase()));
    return rows.map((r) => r.project);
  }

  async find(uuid: string): Promise<Project | undefined> {
    if (!isUuid(uuid)) return undefined;
    const rows = await this.db.select().from(projects).where(eq(projects.uuid, uuid)).limit(1);
    return rows[0];
  }

  /** `actor`: who the change's event names. */
  async create(values: NewProject, actor: string): Promise<Named<Project>> {
    return unlessDuplicate(() => asActor(this.db, actor, async (tx) => (await tx.insert(projects).values(values).returning())[0]!));
  }

  /** The project of that name: made with these values, or the one that has the name already. */
  async createOrGetByName(values: NewProject): Promise<{ uuid: string; inserted: boolean }> {
    const rows = await this.db.insert(projects).values(values).onConflictDoNothing({ target: projects.name }).returning({ uuid: projects.uuid });
    if (rows[0]) return { uuid: rows[0].uuid, inserted: true };
    const found = await this.db.select({ uuid: projects.uuid }).from(projects).where(eq(projects.name, values.name)).limit(1);
    return { uuid: found[0]!.uuid, inserted: false };
  }

  async update(uuid: string, changes: ProjectChanges, actor: string): Promise<Named<Project | undefined>> {
    if (!isUuid(uuid)) return { ok: true, row: undefined };
    return unlessDuplicate(() =>
      asActor(this.db, actor, async (tx) => (await tx.update(projects).set({ ...changes, updatedAt: sql`now()` }).where(eq(projects.uuid, uuid)).returning())[0]),
    );
  }

  /** Deletes the project and, through the foreign key, every grant in it (each leaves a history row naming `actor`). */
  async delete(uuid: string, actor: string): Promise<{ deleted: boolean; members: string[] }> {
    if (!isUuid(uuid)) return { deleted: false, members: [] };
    return asActor(this.db, actor, async (tx) => {
      const members = await tx.selectDistinct({ user: userPermissions.userUuid }).from(userPermissions).where(eq(userPermissions.projectUuid, uuid));
      const rows = await tx.delete(projects).where(eq(projects.uuid, uuid)).returning({ uuid: projects.uuid });
      return { deleted: rows.length > 0, members: members.map((m) => m.user) };
    });
  }

  async practiceAreas(): Promise<PracticeArea[]> {
    return this.db.select().from(practiceAreas).orderBy(asc(practiceAreas.name));
  }

  async findPracticeArea(uuid: string): Promise<PracticeArea | undefined> {
    if (!isUuid(uuid)) return undefined;
    const rows = await this.db.select().from(practiceAreas).where(eq(practiceAreas.uuid, uuid)).limit(1);
    return rows[0];
  }

  async createPracticeArea(name: string): Promise<Named<PracticeArea>> {
    return unlessDuplicate(async () => (await this.db.insert(practiceAreas).values({ name }).returning())[0]!);
  }
}
