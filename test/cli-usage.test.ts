// The CLI's command line: the built bin (dist/cli.js, which pretest builds) answers --version; every
// command has its --help; a wrong command line exits 2 with one line on stderr pointing to the help,
// while a failure at run time still exits 1. No Cognito is needed: nothing here gets that far.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { VERSION } from "../src/version.ts";
import { runCli } from "./support/cli.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const COMMANDS = ["login", "refresh", "logout", "whoami", "service-token", "provision"];
/** No Cognito settings and no dev stack: a command that got past its arguments fails at run time. */
const env = { HOME: "/nonexistent", DATA_DIR: "/nonexistent/.data" };

describe("the CLI's command line", () => {
  it("the built bin (package.json bin → dist/cli.js) prints the package's version", async () => {
    const manifest = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string; bin: Record<string, string> };
    assert.equal(manifest.bin["vrms-backend"], "dist/cli.js");
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [manifest.bin["vrms-backend"]!, "--version"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
    assert.equal(stdout, `${manifest.version}\n`);
    assert.equal(stdout, `${VERSION}\n`);
    assert.equal(stderr, "");
  });

  it("each command has its own --help: its usage line and text, on stdout, exit 0", async () => {
    const invocations = [...COMMANDS.map((command) => [command, "--help"]), ["login", "-h"], ["help", "login"]];
    for (const args of invocations) {
      {
        const command = args[0] === "help" ? args[1]! : args[0]!;
        const run = await runCli(args, env);
        assert.equal(run.code, 0, `${args.join(" ")}: ${run.stderr}`);
        assert.equal(run.stderr, "");
        assert.match(run.stdout, new RegExp(`^Usage: vrms-backend ${command}\\b`), args.join(" "));
        const others = COMMANDS.filter((c) => c !== command && !c.startsWith(command) && !command.startsWith(c));
        for (const other of others) assert.ok(!run.stdout.includes(`\n  ${other} `), `${command}'s help holds ${other}'s`);
      }
    }
    const general = await runCli(["--help"], env);
    assert.equal(general.code, 0);
    for (const command of COMMANDS) assert.match(general.stdout, new RegExp(`^  ${command}\\b`, "m"));
    assert.match(general.stdout, /Exit codes: 0 done, 1 failed, 2 wrong command line/);
  });

  it("a wrong command line exits 2, with one line on stderr saying what is wrong and where the help is", async () => {
    const cases: [args: string[], message: RegExp][] = [
      [["bogus"], /^error: unknown command "bogus"; see vrms-backend --help$/],
      [["help", "bogus"], /^error: unknown command "bogus"; see vrms-backend --help$/],
      [["--bogus"], /^error: unknown option --bogus .*; see vrms-backend --help$/],
      [["login", "--bogus"], /^error: .*'--bogus'.*; see vrms-backend login --help$/],
      [["login", "--username"], /^error: .*'--username <value>' argument missing; see vrms-backend login --help$/],
      [["login"], /^error: login needs --username; see vrms-backend login --help$/],
      [["whoami", "stray"], /^error: .*'stray'.*; see vrms-backend whoami --help$/],
      [["logout", "--api", "http://127.0.0.1:9", "--cognito-only"], /^error: logout takes --api or --cognito-only, not both; see vrms-backend logout --help$/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, env);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, "");
      const lines = run.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, message);
    }
  });

  it("a failure at run time still exits 1", async () => {
    // Well-formed, but there is no session to read the token from.
    const run = await runCli(["whoami"], env);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^error: whoami needs --token/);
  });
});
