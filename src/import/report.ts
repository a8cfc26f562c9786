// The plan (and, with --apply, what became of it) for a person to read, or as one JSON object.
// Emails appear here (stdout is for the operator); only ids, counts and reasons anywhere else.
import type { Collection } from "./clean.ts";
import type { Plan } from "./plan.ts";

export interface Failure {
  collection: Collection;
  id: string;
  reason: string;
}

export interface Outcome {
  people: { done: number; failed: number };
  projects: { done: number; failed: number };
  grantsAdded: number;
  failures: Failure[];
  seconds: number;
}

/**
 * Control characters (C0 but the newline, DEL, C1) and bidirectional overrides made visible: the
 * report goes to a terminal, and a value from the files (or an error quoting one) must not drive it.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (c) => (c === "\n" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/** Lines of warnings the text report lists before counting the rest (--json lists all). */
const TEXT_WARNINGS = 100;

export function counts(plan: Plan) {
  const people = { total: plan.people.length, create: 0, link_account: 0, link_profile: 0, update: 0, unchanged: 0 };
  for (const p of plan.people) people[p.action.kind]++;
  const projects = { total: plan.projects.length, create: 0, link: 0, unchanged: 0 };
  for (const p of plan.projects) projects[p.action.kind]++;
  const grants: Record<string, number> = {};
  for (const p of plan.people) for (const g of p.grants) grants[g.type] = (grants[g.type] ?? 0) + 1;
  return { people, projects, grants };
}

/** Seconds of each phase: reading and cleaning the files, reading the state and planning, writing. */
export interface Timings {
  read: number;
  plan: number;
  apply: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export function jsonReport(plan: Plan, outcome?: Outcome, timings?: Timings): Record<string, unknown> {
  const { people, projects, grants } = counts(plan);
  return {
    dry_run: outcome === undefined,
    records: plan.records,
    people,
    projects,
    grants_to_add: grants,
    access: plan.access,
    merges: plan.merges.map((m) => ({ ids: m.ids, email: m.email, by: m.by, other_emails: m.otherEmails, access_level: m.accessLevel })),
    conflicts: plan.conflicts,
    warnings: plan.warnings,
    slack_names_left_out: plan.slackNamesLeftOut,
    ...(outcome
      ? {
          applied: {
            people: outcome.people,
            projects: outcome.projects,
            grants_added: outcome.grantsAdded,
            failures: outcome.failures,
            seconds: round(outcome.seconds),
          },
        }
      : {}),
    ...(timings ? { seconds: { read: round(timings.read), plan: round(timings.plan), apply: round(timings.apply) } } : {}),
  };
}

export function textReport(plan: Plan, outcome?: Outcome): string {
  const { people, projects, grants } = counts(plan);
  const lines: string[] = [];
  const say = (line = "") => lines.push(line);
  say(outcome ? "VRMS import: applied" : "VRMS import: dry run (nothing written; --apply writes this plan)");
  say(`Read ${plan.records.users} user record(s) and ${plan.records.projects} project record(s).`);
  const userConflicts = plan.conflicts.filter((c) => c.collection === "users").length;
  say(`People: ${people.total} (${plan.merges.length} merge(s), ${userConflicts} record(s) in conflict)`);
  say(`  create ${people.create} · link to an existing Cognito user ${people.link_account} · link to an existing profile ${people.link_profile} · update ${people.update} · unchanged ${people.unchanged}`);
  say(`Projects: ${projects.total} (${plan.conflicts.length - userConflicts} in conflict)`);
  say(`  create ${projects.create} · link by name ${projects.link} · unchanged ${projects.unchanged}`);
  const grantList = Object.entries(grants).sort().map(([type, n]) => `${type} ${n}`);
  say(`Grants to add: ${grantList.length ? grantList.join(", ") : "none"}`);
  say(`Access levels: user → none, admin → ${plan.access.admin}, superadmin → ${plan.access.superadmin}`);
  if (plan.merges.length) {
    say();
    say("Merges (the first id is the most recent record, whose fields were kept):");
    for (const m of plan.merges) {
      say(`  ${m.ids.join(" + ")} → ${m.email} (same ${m.by.join(", same ")}; access ${m.accessLevel}${m.otherEmails.length ? `; also ${m.otherEmails.join(", ")}` : ""})`);
    }
  }
  if (plan.conflicts.length) {
    say();
    say("Conflicts (not imported):");
    for (const c of plan.conflicts) say(`  ${c.collection} ${c.id}${c.where ? ` (${c.where})` : ""}: ${c.reason}`);
  }
  if (plan.warnings.length) {
    say();
    say("Warnings (imported without the value, or cut to fit):");
    for (const w of plan.warnings.slice(0, TEXT_WARNINGS)) say(`  ${w.collection} ${w.id} ${w.field}: ${w.message}`);
    if (plan.warnings.length > TEXT_WARNINGS) say(`  … and ${plan.warnings.length - TEXT_WARNINGS} more (--json lists every one)`);
  }
  if (plan.slackNamesLeftOut) say(`slackName left out of ${plan.slackNamesLeftOut} profile(s): a display name, where the profile keeps a Slack member id`);
  if (outcome) {
    say();
    say(`Done in ${outcome.seconds.toFixed(1)} s: people ${outcome.people.done} written, ${outcome.people.failed} failed; projects ${outcome.projects.done} written, ${outcome.projects.failed} failed; ${outcome.grantsAdded} grant(s) added.`);
    for (const f of outcome.failures) say(`  failed: ${f.collection} ${f.id}: ${f.reason}`);
    if (outcome.failures.length) say("Run the same command again to finish: what was written is kept, and nothing is written twice.");
  }
  return `${lines.map(printable).join("\n")}\n`;
}
