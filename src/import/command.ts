// `npm run -s cli -- import vrms …`: read, clean, plan, report; with --apply, write the plan.
// Exit 0: no conflict; 1: conflicts or failures (everything else imported with --apply); 2:
// unreadable input, nothing written (thrown as InputError before the database is opened).
import { parseArgs } from "node:util";
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { createCognitoClient } from "../cognito/client.ts";
import { loadDatabase, loadDevConfig, processEnv, type CognitoEndpointSettings } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { DEFAULT_ACCESS, parseGlobalChoice } from "./access.ts";
import { applyPlan } from "./apply.ts";
import { clean } from "./clean.ts";
import { refuseRunningDevStack, startDevStackCognito } from "./dev-stack-cognito.ts";
import { Accounts, DEFAULT_BACKOFF } from "./cognito-accounts.ts";
import { InputError } from "./input-error.ts";
import { plan as makePlan } from "./plan.ts";
import { startProgress } from "./progress.ts";
import { readDocuments } from "./read-file.ts";
import { refuseRepeatedIds, toProject, toUser } from "./records.ts";
import { jsonReport, printable, textReport } from "./report.ts";
import { readState } from "./state.ts";

export const IMPORT_HELP = `  import vrms --users users.json --projects projects.json [--apply] [--json]
        [--admin-type T] [--superadmin-type T] [--concurrency N] [--progress-seconds S]
        Bring VRMS's MongoDB users and projects (mongoexport output, newline-delimited or
        --jsonArray, canonical or relaxed Extended JSON) into the pool, the profiles and the
        grants (docs/import.md). A dry run unless --apply: the plan is printed, nothing written.
        --admin-type and --superadmin-type: the global type of VRMS admins and superadmins, one
        of none, memberGeneral, adminBrigade (both default), adminGlobal (only when named).
        Exit 0 without conflicts, 1 with conflicts or failures, 2 for unreadable input.
        Writes the database of DATABASE_URL, else DATA_DIR's PGlite: then npm start must be stopped
        (PGlite serves one process), and the import starts the dev stack's emulator for its duration.`;

export class ImportUsageError extends Error {}

export interface ImportTarget {
  settings: CognitoEndpointSettings;
  userPoolId: string;
  /** Set when the pool is the dev stack's (.data/dev-stack.json): its emulator's URL. */
  devStackEndpoint?: string;
}

/** Records of both files, or an InputError naming the first fault. */
async function readRecords(usersFile: string, projectsFile: string) {
  const users = (await readDocuments(usersFile)).map((d) => toUser(d));
  const projects = (await readDocuments(projectsFile)).map((d) => toProject(d));
  refuseRepeatedIds(users);
  refuseRepeatedIds(projects);
  return { users, projects };
}

export async function importCommand(args: string[], resolveTarget: () => Promise<ImportTarget>): Promise<void> {
  const [source, ...rest] = args;
  if (source !== "vrms") throw new ImportUsageError(`import knows one source, vrms (import vrms --users … --projects …); see --help`);
  const { values } = parseArgs({
    args: rest,
    options: {
      users: { type: "string" },
      projects: { type: "string" },
      apply: { type: "boolean" },
      json: { type: "boolean" },
      "admin-type": { type: "string" },
      "superadmin-type": { type: "string" },
      concurrency: { type: "string" },
      "progress-seconds": { type: "string" },
    },
  });
  if (!values.users || !values.projects) throw new ImportUsageError("import vrms needs --users FILE and --projects FILE");
  let access;
  try {
    access = {
      admin: parseGlobalChoice("--admin-type", values["admin-type"], DEFAULT_ACCESS.admin),
      superadmin: parseGlobalChoice("--superadmin-type", values["superadmin-type"], DEFAULT_ACCESS.superadmin),
    };
  } catch (err) {
    throw new ImportUsageError((err as Error).message);
  }
  const concurrency = boundedInteger("--concurrency", values.concurrency, 8, 1, 64);
  const progressSeconds = boundedInteger("--progress-seconds", values["progress-seconds"], 5, 0, 3600);

  const started = performance.now();
  const records = await readRecords(values.users, values.projects);
  const cleaned = clean(records.users, records.projects);
  const read = (performance.now() - started) / 1000;

  const env = processEnv();
  const dataDir = loadDevConfig(env).dataDir;
  const databaseConfig = loadDatabase(env, dataDir);
  if (databaseConfig.kind === "pglite") await refuseRunningDevStack(dataDir);
  const target = await resolveTarget();
  const say = (line: string) => process.stderr.write(line);
  // npm start stopped: its emulator is gone with it, and this import brings it up for its duration.
  const emulator = target.devStackEndpoint ? await startDevStackCognito(target.devStackEndpoint, dataDir, env, say) : undefined;
  let database;
  try {
    database = await openDatabase(databaseConfig);
  } catch (err) {
    await emulator?.stop();
    throw err;
  }
  const progress = values.apply ? startProgress(cleaned.people.length, progressSeconds * 1000, say) : undefined;
  const backoff = { ...DEFAULT_BACKOFF, onRetry: () => progress?.retried() };
  const cognito: CognitoIdentityProviderClient = createCognitoClient(target.settings, { maxAttempts: 1, timeoutMs: 15_000 });
  try {
    const accounts = new Accounts(cognito, target.userPoolId, backoff);
    const planning = performance.now();
    const state = await readState(database.db, accounts, cleaned);
    const plan = makePlan(cleaned, state, access, { users: records.users.length, projects: records.projects.length });
    const planned = (performance.now() - planning) / 1000;
    const outcome = values.apply ? await applyPlan(database.db, accounts, plan, { concurrency, ...(progress ? { progress } : {}) }) : undefined;
    const timings = { read, plan: planned, apply: outcome?.seconds ?? 0 };
    process.stdout.write(values.json ? `${printable(JSON.stringify(jsonReport(plan, outcome, timings), null, 2))}\n` : textReport(plan, outcome));
    if (plan.conflicts.length > 0 || (outcome?.failures.length ?? 0) > 0) process.exitCode = 1;
  } finally {
    progress?.stop();
    cognito.destroy();
    await database.close();
    if (emulator) {
      await emulator.stop();
      say("import: stopped the Cognito emulator it started\n");
    }
  }
}

function boundedInteger(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ImportUsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}

export { InputError };
