// A VRMS export of any size, as mongoexport writes it, with the awkward cases of the real one in
// known proportions (for the import's tests and benchmark). Deterministic: the same arguments give
// the same files. As a script: node --import tsx bench/vrms-export.ts --people 5000 --projects 100 --out DIR
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

export interface ExportOptions {
  people: number;
  projects: number;
  /** Distinguishes the ids and emails of two exports. */
  seed?: number;
}

export interface VrmsExport {
  users: Record<string, unknown>[];
  projects: Record<string, unknown>[];
  /** What a correct import makes of it. */
  expected: { people: number; merges: number; conflicts: number; danglingManaged: number; inactive: number };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

export function generateExport({ people, projects: projectCount, seed = 1 }: ExportOptions): VrmsExport {
  const projectId = (i: number) => `5${hex(seed, 3)}${hex(i, 20)}`;
  const userId = (i: number, copy = 0) => `6${hex(seed, 3)}${hex(copy, 2)}${hex(i, 18)}`;
  const base = Date.UTC(2019, 0, 1);
  const date = (ms: number) => ({ $date: { $numberLong: String(ms) } });
  const projects = Array.from({ length: projectCount }, (_, i) => ({
    _id: { $oid: projectId(i) },
    name: `Project ${seed}-${i}`,
    description: `Civic project number ${i}.`,
    projectStatus: i % 7 === 0 ? "Paused" : "Active",
    createdDate: date(base + i * 86_400_000),
    githubUrl: `https://github.com/example-civic/project-${seed}-${i}`,
    slackUrl: `https://example.slack.com/archives/C${hex(i, 8).toUpperCase()}`,
    managedByUsers: [],
    __v: { $numberInt: "0" },
  }));
  const users: Record<string, unknown>[] = [];
  const expected = { people: 0, merges: 0, conflicts: 0, danglingManaged: 0, inactive: 0 };
  for (let i = 0; i < people; i++) {
    const email = `volunteer.${seed}.${i}@example.org`;
    const joined = [i % projectCount, (i * 7 + 3) % projectCount].map((p) => ({ $oid: projectId(p) }));
    const level = i === 0 ? "superadmin" : i % 10 === 0 ? "admin" : "user";
    const record = (copy: number, over: Record<string, unknown>) => ({
      _id: { $oid: userId(i, copy) },
      name: { firstName: `First${i}`, lastName: `Last${i}` },
      email,
      accessLevel: level,
      createdDate: date(base + i * 60_000 + copy * 86_400_000 * 30),
      currentJobTitle: "Software Engineer",
      desiredJobTitle: "Senior Software Engineer",
      skillsToMatch: ["JavaScript", "Python", i % 3 === 0 ? "javascript" : "SQL"],
      projects: i % 13 === 0 ? [] : i % 11 === 0 ? [joined[0], joined[0]] : joined,
      managedProjects: level !== "user" ? [projectId(i % projectCount)] : [],
      githubHandle: `gh-${seed}-${i}`,
      phone: i % 4 === 0 ? `+1213555${hex(i % 10000, 4).replace(/[a-f]/g, "1")}` : undefined,
      textingOk: i % 2 === 0,
      slackName: `Volunteer ${i}`,
      isActive: i % 15 !== 14,
      __v: { $numberInt: "0" },
      ...over,
    });
    if (i % 50 === 49) {
      // No email at all, and a handle of its own: a conflict.
      users.push(record(0, { email: undefined, githubHandle: `lost-${seed}-${i}` }));
      expected.conflicts++;
      continue;
    }
    expected.people++;
    if (i % 15 === 14) expected.inactive++;
    users.push(record(0, {}));
    if (i % 20 === 5) {
      // The same address typed again, with capitals and spaces, later, as an admin.
      users.push(record(1, { email: `  ${email.toUpperCase()} `, accessLevel: "admin", managedProjects: [projectId((i + 1) % projectCount)] }));
      expected.merges++;
    } else if (i % 25 === 7) {
      // Another address, the same GitHub handle in other case.
      users.push(record(2, { email: `v${seed}.${i}@example.com`, githubHandle: `GH-${seed}-${i}`, projects: [{ $oid: projectId((i + 2) % projectCount) }] }));
      expected.merges++;
    }
    if (i % 40 === 33) {
      users[users.length - 1]!.managedProjects = [`5${hex(seed, 3)}ffffffffffffffffffff`];
      users[users.length - 1]!.accessLevel = "admin";
      expected.danglingManaged++;
    }
  }
  return { users: users.map((u) => JSON.parse(JSON.stringify(u)) as Record<string, unknown>), projects, expected };
}

/** Canonical Extended JSON to relaxed ($date as an ISO string, plain integers), as mongoexport's default. */
function relaxed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relaxed);
  if (typeof value !== "object" || value === null) return value;
  const o = value as Record<string, unknown>;
  if (o.$numberInt !== undefined) return Number(o.$numberInt);
  if (o.$date && typeof o.$date === "object") return { $date: new Date(Number((o.$date as { $numberLong: string }).$numberLong)).toISOString() };
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, relaxed(v)]));
}

/** users.json and projects.json in `dir`: newline-delimited canonical, or a relaxed --jsonArray. */
export async function writeExport(dir: string, data: VrmsExport, form: "ndjson" | "array" = "ndjson"): Promise<{ users: string; projects: string }> {
  await mkdir(dir, { recursive: true });
  const files = { users: path.join(dir, "users.json"), projects: path.join(dir, "projects.json") };
  const text = (docs: Record<string, unknown>[]) => (form === "ndjson" ? `${docs.map((d) => JSON.stringify(d)).join("\n")}\n` : `${JSON.stringify(docs.map(relaxed))}\n`);
  await writeFile(files.users, text(data.users));
  await writeFile(files.projects, text(data.projects));
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { people: { type: "string", default: "5000" }, projects: { type: "string", default: "100" }, out: { type: "string", default: ".data/vrms-export" }, array: { type: "boolean" } } });
  const data = generateExport({ people: Number(values.people), projects: Number(values.projects) });
  const files = await writeExport(values.out, data, values.array ? "array" : "ndjson");
  process.stdout.write(`${files.users}\n${files.projects}\n${JSON.stringify(data.expected)}\n`);
}
