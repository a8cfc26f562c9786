// Which test files a process runs: all of them, those TEST_FILES names, or one shard of them.
// Shards are balanced by each file's usual wall time (seconds, measured in one run; files not
// listed count as one), so that two processes on two cores end together.
import { readdirSync } from "node:fs";

const USUAL_SECONDS: Record<string, number> = {
  "dev-stack-clients": 25,
  "dev-stack-attacks": 23,
  permissions: 30,
  "permissions-attacks": 6,
  "privacy-attacks": 5,
  "authz-attacks": 22,
  services: 15,
  "services-attacks": 4,
  "revocations-attacks": 8,
  sessions: 24,
  "revocation-changes": 15,
  "users-list-scale": 22,
  "users-list-bounds": 20,
  "admin-page": 38,
  "console-api": 8,
  tracing: 12,
  client: 20,
  keys: 12,
  provision: 10,
  serve: 9,
  "service-tokens": 23,
  "dev-cognito": 7,
  "e2e-emulator": 7,
  reliability: 6,
  "hostile-input": 5,
  "cli-logout": 4,
  "cli-usage": 5,
  users: 4,
  fuzz: 4,
  "trust-boundary": 4,
  provisioning: 3,
  "stdout-log": 6,
  "log-lines": 3,
  "grant-cache": 1,
  import: 25,
  "import-clean": 2,
  "import-newcomer": 80,
  "prepared-statements": 2,
  "config-reference": 1,
  "verifier-differential": 2,
  "production-build": 12,
  events: 25,
  "webhooks-attacks": 7,
};

function testFiles(dir: URL): string[] {
  const only = process.env.TEST_FILES?.split(",").map((name) => `${name.trim()}.test.ts`);
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".test.ts") && (!only || only.includes(name)))
    .sort();
  if (only && files.length !== only.length) throw new Error(`TEST_FILES names a file that does not exist: ${only.join(", ")}`);
  return files;
}

/** The files of shard `index` (0-based) of `count`: the heaviest first, each to the lightest shard. */
export function shard(files: string[], index: number, count: number): string[] {
  const weight = (name: string) => USUAL_SECONDS[name.replace(/\.test\.ts$/, "")] ?? 1;
  const shards = Array.from({ length: count }, () => ({ seconds: 0, files: [] as string[] }));
  for (const name of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const lightest = shards.reduce((min, s) => (s.seconds < min.seconds ? s : min));
    lightest.files.push(name);
    lightest.seconds += weight(name);
  }
  return shards[index]!.files.sort();
}

export async function runTestFiles(index = 0, count = 1): Promise<void> {
  const dir = new URL("../", import.meta.url);
  for (const name of shard(testFiles(dir), index, count)) await import(new URL(name, dir).href);
}
