// Carries a plan out: projects first (grants name them), then each person — their Cognito account,
// then one transaction holding their profile, VRMS ids and grants, whose history rows name the
// actor `import:vrms`. Every write is keyed on VRMS ids, emails or subs and skips what exists, so a
// run killed at any point and run again ends as one uninterrupted run would.
import type { Db } from "../db/client.ts";
import type { PermissionTypeName } from "../authz/permission-types.ts";
import { asActor, PermissionRepository } from "../permissions/repository.ts";
import { ProjectRepository } from "../projects/repository.ts";
import { UserRepository } from "../users/repository.ts";
import type { Accounts } from "./cognito-accounts.ts";
import type { Person } from "./clean.ts";
import type { Plan, PersonPlan } from "./plan.ts";
import type { Progress } from "./progress.ts";
import type { Failure, Outcome } from "./report.ts";
import { linkProjectId, linkUserIds } from "./store.ts";

export const IMPORT_ACTOR = "import:vrms";

export interface ApplyOptions {
  /** People written at once: Cognito's round trips are the cost, the database takes them in turn. */
  concurrency?: number;
  progress?: Progress;
}

/** Why something failed, as the report shows it: the error's name and first line, no more. */
function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${String(e.message ?? "").split("\n")[0]!.slice(0, 200)}`;
}

export async function applyPlan(db: Db, accounts: Pick<Accounts, "create">, plan: Plan, options: ApplyOptions = {}): Promise<Outcome> {
  const started = performance.now();
  const failures: Failure[] = [];
  let grantsAdded = 0;

  const projectUuids = new Map<string, string>();
  const projects = { done: 0, failed: 0 };
  for (const { project, action } of plan.projects) {
    try {
      if (action.kind === "unchanged") {
        projectUuids.set(project.vrmsId, action.project);
        continue;
      }
      const uuid = await asActor(db, IMPORT_ACTOR, async (tx) => {
        const found = action.kind === "link" ? action.project : (await new ProjectRepository(tx).createOrGetByName(project)).uuid;
        await linkProjectId(tx, project.vrmsId, found);
        return found;
      });
      projectUuids.set(project.vrmsId, uuid);
      projects.done++;
    } catch (err) {
      projects.failed++;
      failures.push({ collection: "projects", id: project.vrmsId, reason: reasonOf(err) });
    }
  }

  const people = { done: 0, failed: 0 };
  const writePerson = async (p: PersonPlan) => {
    if (p.action.kind === "unchanged") return;
    const account = p.action.kind === "create" ? await accounts.create(p.person) : p.action.kind === "link_account" ? p.action.account : undefined;
    const grants: { type: PermissionTypeName; project: string | null }[] = [];
    for (const g of p.grants) {
      const project = g.project === null ? null : (g.projectUuid ?? projectUuids.get(g.project));
      // undefined: the project failed to be made; its failure is reported, the next run grants it.
      if (project !== undefined) grants.push({ type: g.type, project });
    }
    // Awaited first: `grantsAdded += await …` would read the total before the wait and lose the
    // additions of people written meanwhile.
    const added = await asActor(db, IMPORT_ACTOR, async (tx) => {
      const user = account ? (await new UserRepository(tx).createImported(importedProfile(p.person, account))).uuid : existingUser(p);
      await linkUserIds(tx, p.newIds, user);
      return new PermissionRepository(tx).grantAbsent(grants.map((g) => ({ ...g, user })));
    });
    grantsAdded += added;
  };

  const queue = plan.people.filter((p) => p.action.kind !== "unchanged");
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const p = queue[next++]!;
      try {
        await writePerson(p);
        people.done++;
        options.progress?.done(true);
      } catch (err) {
        people.failed++;
        options.progress?.done(false);
        failures.push({ collection: "users", id: p.person.vrmsIds[0]!, reason: reasonOf(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  options.progress?.stop();
  return { people, projects, grantsAdded, failures, seconds: (performance.now() - started) / 1000 };
}

function existingUser(p: PersonPlan): string {
  if (p.action.kind === "create" || p.action.kind === "link_account") throw new Error("no profile yet");
  return p.action.user;
}

function importedProfile(person: Person, account: { username: string; sub: string }) {
  return {
    cognitoSub: account.sub,
    username: account.username,
    email: person.email,
    isActive: person.isActive,
    createdAt: person.createdAt,
    fields: {
      firstName: person.firstName,
      lastName: person.lastName,
      gmail: person.gmail,
      phone: person.phone,
      textingOk: person.textingOk,
      githubHandle: person.githubHandle,
      slackMemberId: person.slackMemberId,
      currentJobTitle: person.currentJobTitle,
      targetJobTitle: person.targetJobTitle,
      currentSkills: person.currentSkills,
    },
  };
}
