// End to end with the real Cognito emulator: bootstrap, CLI sign-in, /api/v1/me on the real server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEMO_USERS, provision } from "../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import type { Emulator } from "../src/dev/emulator.ts";
import { loadConfig } from "../src/config.ts";
import { writeDevStack } from "../src/dev/stack-file.ts";
import { startServer, type RunningServer } from "../src/server.ts";
import { runCli as cli } from "./support/cli.ts";
import { pglite, type TestDatabase } from "./support/databases.ts";
import { startTestEmulator, type TestEmulator } from "./support/emulator.ts";
import { requestAt } from "./support/server.ts";

describe("with the cognito-local emulator", () => {
  let lab: TestEmulator | undefined;
  let database: TestDatabase | undefined;
  let dir: string;
  let emulator: Emulator;
  let server: RunningServer;
  let cognitoEnv: Record<string, string>;
  const member = DEMO_USERS.find((u) => u.username === "member@example.org")!;
  const admin = DEMO_USERS.find((u) => u.username === "admin@example.org")!;
  const me = (token: unknown) => requestAt(server.url, "GET", "/api/v1/me", { token: String(token) });

  before(async () => {
    lab = await startTestEmulator("e2e", { ...process.env, PORT: "8000", DEBUG: "1" });
    ({ dir, emulator } = lab);
    const pool = await provision(lab.cognito, { endpoint: emulator.url, poolName: "vrms-dev", callbackUrl: "http://localhost:8000/admin", demoUsers: DEMO_USERS });
    cognitoEnv = { COGNITO_ENDPOINT: emulator.url, COGNITO_USER_POOL_ID: pool.userPoolId, COGNITO_CLIENT_IDS: pool.clientId };
    await writeDevStack(dir, { endpoint: emulator.url, user_pool_id: pool.userPoolId, client_id: pool.clientId, web_client_id: pool.webClientId, api_url: "http://localhost:8000" });
    // The server's database: a copy of the migrated PGlite template (initdb and the migrations cost seconds).
    database = await pglite.create();
    server = await startServer(loadConfig({ ...cognitoEnv, PORT: "0", HOST: "127.0.0.1", ...database.env, LOG_LEVEL: "silent" }));
  });

  after(async () => {
    await server?.close();
    await database?.drop();
    await lab?.stop();
  });

  it("bootstraps idempotently: a second run creates nothing", async () => {
    const cognito = createCognitoClient({ region: "us-east-1", endpoint: emulator.url, useDummyCredentials: true });
    const again = await provision(cognito, { endpoint: emulator.url, poolName: "vrms-dev", callbackUrl: "http://localhost:8000/admin", demoUsers: DEMO_USERS });
    cognito.destroy();
    assert.deepEqual(again.created, []);
    assert.equal(again.userPoolId, cognitoEnv.COGNITO_USER_POOL_ID);
    assert.equal(again.clientId, cognitoEnv.COGNITO_CLIENT_IDS);
  });

  it("signs in through the CLI and reads /api/v1/me with the token", async () => {
    const login = await cli(["login", "--username", member.username, "--password", member.password, "--access-token-only"], { ...cognitoEnv, HOME: dir });
    assert.equal(login.code, 0, login.stderr);
    const token = login.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const res = await me(token);
    assert.equal(res.status, 200);
    const profile = res.body;
    assert.equal(profile.email, member.username, "the email comes from GetUser");
    assert.equal(profile.is_admin, false);
  });

  it("uses .data/dev-stack.json when no Cognito variables are set, and prints JSON tokens", async () => {
    const empty = await cli(["login", "--username", admin.username, "--password-stdin"], { DATA_DIR: dir, HOME: dir }, "");
    assert.equal(empty.code, 1, "an empty password is refused");
    const withPassword = await cli(["login", "--username", admin.username, "--password-stdin", "--json"], { DATA_DIR: dir, HOME: dir }, `${admin.password}\n`);
    assert.equal(withPassword.code, 0, withPassword.stderr);
    const tokens = JSON.parse(withPassword.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(tokens).sort(), ["access_token", "expires_in", "id_token", "refresh_token", "token_type"]);
    const profile = (await me(tokens.access_token)).body;
    assert.deepEqual(profile.groups, ["admin"]);
    assert.equal(profile.is_admin, true);
  });

  it("says a wrong password in one line and exits 1", async () => {
    const login = await cli(["login", "--username", member.username, "--password", "wrong-password"], { ...cognitoEnv, HOME: dir });
    assert.equal(login.code, 1);
    assert.equal(login.stdout, "");
    assert.equal(login.stderr.trim().split("\n").length, 1);
    assert.match(login.stderr, /incorrect username or password/);
    assert.ok(!login.stderr.includes("wrong-password"));
  });

  it("signs in, refreshes and signs out through the backend's /api/v1/auth endpoints", async () => {
    const post = (path: string, body: unknown, token?: string) => requestAt<Record<string, string>>(server.url, "POST", path, { body, ...(token ? { token } : {}) });
    const wrong = await post("/api/v1/auth/login", { username: member.username, password: "wrong-password" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, "invalid_credentials");
    const login = await post("/api/v1/auth/login", { username: member.username, password: member.password });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const refreshed = await post("/api/v1/auth/refresh", { refresh_token: login.body.refresh_token });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal((await me(refreshed.body.access_token)).status, 200);
    // The backend refuses the session itself, whatever Cognito's sign-out calls answer.
    const out = await post("/api/v1/auth/logout", { refresh_token: login.body.refresh_token }, login.body.access_token);
    assert.equal(out.status, 204);
    const after = await me(login.body.access_token);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, "token_revoked");
    // RevokeToken and GlobalSignOut ended the session at the emulator too.
    assert.equal((await post("/api/v1/auth/refresh", { refresh_token: login.body.refresh_token })).status, 401);
  });

  it("the CLI goes through the backend with --api", async () => {
    const login = await cli(["login", "--username", member.username, "--password-stdin", "--access-token-only", "--api", server.url], { HOME: dir }, `${member.password}\n`);
    assert.equal(login.code, 0, login.stderr);
    const whoami = await cli(["whoami", "--token", login.stdout.trim(), "--api", server.url, "--json"], { HOME: dir });
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal((JSON.parse(whoami.stdout) as { email: string }).email, member.username);
    const wrong = await cli(["login", "--username", member.username, "--password", "nope", "--api", server.url], { HOME: dir });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error: 401 invalid_credentials/);
  });

  it("the emulator's debug output stays off even when DEBUG is set", async () => {
    const { readFile } = await import("node:fs/promises");
    const log = await readFile(emulator.logFile, "utf8");
    assert.match(log, /dev stack Cognito \(cognito-local behind its front\) on/, "the log is the emulator's (an empty one would prove nothing)");
    assert.ok(!/DEBUG/.test(log), "no debug lines");
  });
});
