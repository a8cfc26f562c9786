// `cli logout`: through the API whenever one is known (signing out of Cognito alone leaves the
// access token valid at the API), Cognito alone only with --cognito-only. Cognito here is the test
// issuer's fake ("fake Cognito"), which can be told to fail and counts its calls.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDevStack } from "../src/dev/stack-file.ts";
import { runCli } from "./support/cli.ts";
import { pglite } from "./support/databases.ts";
import { freePort } from "../support/net.ts";
import { issuerAndServer } from "./support/server.ts";

interface Tokens {
  access_token: string;
  refresh_token: string;
}

describe("cli logout", () => {
  const { issuer, app } = issuerAndServer(pglite, { env: { LOG_LEVEL: "silent" } });
  let dir: string;
  /** A dev stack whose API is the test server. */
  let devEnv: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vrms-logout-"));
    await writeDevStack(dir, { endpoint: issuer.endpoint, user_pool_id: issuer.poolId, client_id: issuer.clientId, api_url: app.url });
    devEnv = { HOME: dir, DATA_DIR: dir };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function signIn(): Promise<{ username: string; tokens: Tokens }> {
    const user = issuer.addAccount("right-password");
    const res = await app.request<Tokens>("POST", "/api/v1/auth/login", { body: { username: user.username, password: "right-password" } });
    assert.equal(res.status, 200);
    return { username: user.username, tokens: res.body };
  }
  const meStatus = async (token: string) => (await app.get("/api/v1/me", token)).status;
  const revokedAtApi = async (token: string) => {
    const res = await app.get("/api/v1/me", token);
    return res.status === 401 && res.body.code === "token_revoked";
  };
  const noSecrets = (output: string, tokens: Tokens) => {
    assert.ok(!output.includes(tokens.access_token) && !output.includes(tokens.refresh_token), "no token in the CLI's output");
  };

  it("fake Cognito: without --api it goes through the dev stack's API, which refuses the access token at once and revokes the refresh token", async () => {
    const { tokens } = await signIn();
    assert.equal(await meStatus(tokens.access_token), 200);
    const out = await runCli(["logout", "--token", tokens.access_token, "--refresh-token", tokens.refresh_token], devEnv);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "", "nothing on stdout: the message is progress, not data");
    assert.equal(out.stderr, "signed out\n");
    assert.ok(await revokedAtApi(tokens.access_token), "the API refuses the signed-out token");
    assert.ok(issuer.revokedRefreshTokens.has(tokens.refresh_token));
  });

  it("fake Cognito: with --api and only a refresh token, it gets an access token from that API and signs the whole session out there", async () => {
    const { tokens } = await signIn();
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "vrms-logout-nostack-"));
    try {
      const out = await runCli(["logout", "--refresh-token", tokens.refresh_token, "--api", app.url], { HOME: elsewhere, DATA_DIR: elsewhere });
      assert.equal(out.code, 0, out.stderr);
      assert.ok(await revokedAtApi(tokens.access_token), "the session (origin_jti) is refused, not only the refreshed token");
      assert.ok(issuer.revokedRefreshTokens.has(tokens.refresh_token));
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("fake Cognito: a saved session whose access token has expired is refreshed through the API, signed out there and forgotten", async () => {
    const { username, tokens } = await signIn();
    const now = Math.floor(Date.now() / 1000);
    const user = { sub: username, username, email: `${username.slice(0, 8)}@example.org` };
    const expired = issuer.mint(user, { claims: { exp: now - 3600, iat: now - 7200, auth_time: now - 7200 } });
    const home = await mkdtemp(path.join(os.tmpdir(), "vrms-logout-home-"));
    const sessionFile = path.join(home, ".config", "vrms-backend", "session.json");
    try {
      await mkdir(path.dirname(sessionFile), { recursive: true });
      await writeFile(sessionFile, JSON.stringify({ username, access_token: expired, refresh_token: tokens.refresh_token }), { mode: 0o600 });
      const out = await runCli(["logout"], { HOME: home, DATA_DIR: dir });
      assert.equal(out.code, 0, out.stderr);
      assert.ok(await revokedAtApi(tokens.access_token), "the API signed the session (origin_jti) out");
      assert.ok(issuer.revokedRefreshTokens.has(tokens.refresh_token));
      await assert.rejects(stat(sessionFile), "the saved session is forgotten");
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("fake Cognito: an unreachable API is one line and exit 1, with no fallback to Cognito alone; the saved session is kept", async () => {
    const { username, tokens } = await signIn();
    const down = await mkdtemp(path.join(os.tmpdir(), "vrms-logout-down-"));
    const sessionFile = path.join(down, ".config", "vrms-backend", "session.json");
    try {
      await writeDevStack(down, { endpoint: issuer.endpoint, user_pool_id: issuer.poolId, client_id: issuer.clientId, api_url: `http://127.0.0.1:${await freePort()}` });
      await mkdir(path.dirname(sessionFile), { recursive: true });
      const session = JSON.stringify({ username, ...tokens });
      await writeFile(sessionFile, session, { mode: 0o600 });
      const calls = issuer.cognitoCalls.length;
      const out = await runCli(["logout"], { HOME: down, DATA_DIR: down });
      assert.equal(out.code, 1);
      assert.equal(out.stdout, "");
      assert.equal(out.stderr.trim().split("\n").length, 1);
      assert.match(out.stderr, /^error: cannot reach the backend at http:\/\/127\.0\.0\.1:\d+.*not signed out/);
      noSecrets(out.stderr, tokens);
      assert.deepEqual(issuer.cognitoCalls.slice(calls), [], "Cognito was not called behind the API's back");
      assert.equal(await meStatus(tokens.access_token), 200);
      assert.equal(await readFile(sessionFile, "utf8"), session, "the session is kept, to retry");
    } finally {
      await rm(down, { recursive: true, force: true });
    }
  });

  it("fake Cognito: --cognito-only signs out of Cognito alone and says the access token stays valid at the API", async () => {
    const { tokens } = await signIn();
    const calls = issuer.cognitoCalls.length;
    const out = await runCli(["logout", "--cognito-only", "--token", tokens.access_token, "--refresh-token", tokens.refresh_token], devEnv);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /Cognito only: the access token stays valid at the API until it expires/);
    assert.deepEqual(issuer.cognitoCalls.slice(calls).sort(), ["GlobalSignOut", "RevokeToken"]);
    assert.equal(await meStatus(tokens.access_token), 200, "as the message says");
  });

  it("with Cognito variables set and no --api, no API is known: it refuses rather than signing out of Cognito alone", async () => {
    const { tokens } = await signIn();
    const calls = issuer.cognitoCalls.length;
    const out = await runCli(["logout", "--token", tokens.access_token], { ...issuer.env(), HOME: dir, DATA_DIR: dir });
    assert.equal(out.code, 1);
    assert.equal(out.stderr.trim().split("\n").length, 1);
    assert.match(out.stderr, /--api URL.*--cognito-only/);
    noSecrets(out.stderr, tokens);
    assert.deepEqual(issuer.cognitoCalls.slice(calls), []);
    assert.equal(await meStatus(tokens.access_token), 200);
  });

  it("--api and --cognito-only exclude each other; --help explains --cognito-only", async () => {
    const both = await runCli(["logout", "--token", "t", "--api", app.url, "--cognito-only"], devEnv);
    assert.equal(both.code, 2, "a usage error");
    assert.match(both.stderr, /^error: logout takes --api or --cognito-only, not both; see vrms-backend logout --help\n$/);
    const help = await runCli(["logout", "--help"], devEnv);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: vrms-backend logout \[--token T\]/);
    assert.match(help.stdout, /--cognito-only signs out of Cognito alone: the access token then stays valid at the API\s+until it expires/);
  });
});
