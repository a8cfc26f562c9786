// The apps' own Cognito clients against the dev stack, as a front-end developer uses them (in
// Node): amazon-cognito-identity-js and Amplify v6 sign in with their default flow (SRP), refresh,
// and are signed out through the backend; openid-client discovers the pool; browsers on
// http://localhost get CORS from the dev stack's API and none from `npm run serve`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import cognitoIdentity, { type CognitoUserSession } from "amazon-cognito-identity-js";
import { Amplify } from "aws-amplify";
import { fetchAuthSession, signIn, signOut } from "aws-amplify/auth";
import { cognitoUserPoolsTokenProvider } from "aws-amplify/auth/cognito";
import * as oidc from "openid-client";
import { GetTokensFromRefreshTokenCommand } from "@aws-sdk/client-cognito-identity-provider";
import { DEMO_USERS } from "../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { startDevStack, type DevStack } from "./support/dev-stack.ts";
import { freePort } from "../support/net.ts";
import { until } from "./support/wait.ts";

const { AuthenticationDetails, CognitoRefreshToken, CognitoUser, CognitoUserPool } = cognitoIdentity;
const member = DEMO_USERS.find((u) => u.groups.length === 0)!;
const admin = DEMO_USERS.find((u) => u.groups.includes("admin"))!;

/** Amplify's token storage, in memory and open to the test (a browser app would use localStorage). */
const amplifyStore = new Map<string, string>();
const amplifyRefreshToken = () => [...amplifyStore].find(([key]) => key.endsWith(".refreshToken"))?.[1];

const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

describe("the apps' Cognito clients against the dev stack", () => {
  let stack: DevStack;
  let pool: InstanceType<typeof CognitoUserPool>;

  before(async () => {
    stack = await startDevStack("clients");
    pool = new CognitoUserPool({ UserPoolId: stack.userPoolId, ClientId: stack.webClientId, endpoint: stack.emulator.url });
    Amplify.configure({ Auth: { Cognito: { userPoolId: stack.userPoolId, userPoolClientId: stack.webClientId, userPoolEndpoint: stack.emulator.url } } });
    // After configure, which sets its default storage.
    cognitoUserPoolsTokenProvider.setKeyValueStorage({
      setItem: async (key, value) => void amplifyStore.set(key, value),
      getItem: async (key) => amplifyStore.get(key) ?? null,
      removeItem: async (key) => void amplifyStore.delete(key),
      clear: async () => amplifyStore.clear(),
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const me = async (token: string) => {
    const res = await fetch(`${stack.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, body };
  };
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${stack.server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Record<string, string> };
  };

  /** amazon-cognito-identity-js's default sign-in (USER_SRP_AUTH), as a promise. */
  const libSignIn = (username: string, password: string) =>
    new Promise<CognitoUserSession>((resolve, reject) => {
      const user = new CognitoUser({ Username: username, Pool: pool });
      user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), { onSuccess: resolve, onFailure: reject });
    });
  const libRefresh = (username: string, session: CognitoUserSession) =>
    new Promise<CognitoUserSession>((resolve, reject) => {
      const user = new CognitoUser({ Username: username, Pool: pool });
      const refreshToken = new CognitoRefreshToken({ RefreshToken: session.getRefreshToken().getToken() });
      user.refreshSession(refreshToken, (err: Error | null, next: CognitoUserSession) => (err ? reject(err) : resolve(next)));
    });

  it("amazon-cognito-identity-js: SRP sign-in → /me; refreshSession keeps the session (origin_jti, auth_time) → /me; an id token is token_wrong_use", async () => {
    const session = await libSignIn(member.username, member.password);
    const access = session.getAccessToken().getJwtToken();
    assert.equal((await me(access)).status, 200);
    assert.equal((await me(access)).body.email, member.username);
    const refreshed = await libRefresh(member.username, session);
    const next = refreshed.getAccessToken().getJwtToken();
    assert.notEqual(next, access);
    assert.equal(claims(next).origin_jti, claims(access).origin_jti);
    assert.equal(claims(next).auth_time, claims(access).auth_time);
    assert.notEqual(claims(next).jti, claims(access).jti);
    assert.equal((await me(next)).status, 200);
    const id = await me(session.getIdToken().getJwtToken());
    assert.equal(id.status, 401);
    assert.equal(id.body.code, "token_wrong_use");
  });

  it("amazon-cognito-identity-js: a wrong password is NotAuthorizedException, as for no account at all", async () => {
    await assert.rejects(libSignIn(member.username, "wrong-password"), { code: "NotAuthorizedException", message: "Incorrect username or password." });
    await assert.rejects(libSignIn("nobody@example.org", "wrong-password"), { code: "NotAuthorizedException", message: "Incorrect username or password." });
  });

  it("amazon-cognito-identity-js: sign out through the backend after a refresh ends every token of the session, and the library's refresh fails", async () => {
    const session = await libSignIn(member.username, member.password);
    const first = session.getAccessToken().getJwtToken();
    const refreshed = await libRefresh(member.username, session);
    const second = refreshed.getAccessToken().getJwtToken();
    const out = await post("/api/v1/auth/logout", { refresh_token: session.getRefreshToken().getToken() }, second);
    assert.equal(out.status, 204);
    for (const token of [first, second]) {
      const res = await me(token);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "token_revoked");
    }
    await assert.rejects(libRefresh(member.username, session), { code: "NotAuthorizedException" });
  });

  it("Amplify v6: default sign-in (SRP) → fetchAuthSession → /me; forceRefresh → /me", async () => {
    const result = await signIn({ username: member.username, password: member.password });
    assert.equal(result.isSignedIn, true, JSON.stringify(result.nextStep));
    const { tokens } = await fetchAuthSession();
    const first = tokens!.accessToken.toString();
    assert.equal((await me(first)).status, 200);
    const refreshed = await fetchAuthSession({ forceRefresh: true });
    const second = refreshed.tokens!.accessToken.toString();
    assert.notEqual(second, first);
    assert.equal(claims(second).origin_jti, claims(first).origin_jti);
    assert.equal((await me(second)).status, 200);
    await signOut();
  });

  it("Amplify v6: logout through the backend without refresh_token after a refresh: both access tokens refused, the refresh fails", async () => {
    await signIn({ username: member.username, password: member.password });
    const first = (await fetchAuthSession()).tokens!.accessToken.toString();
    const second = (await fetchAuthSession({ forceRefresh: true })).tokens!.accessToken.toString();
    assert.equal((await post("/api/v1/auth/logout", {}, second)).status, 204);
    for (const token of [first, second]) assert.equal((await me(token)).status, 401);
    const refreshToken = amplifyRefreshToken();
    assert.ok(refreshToken, "Amplify kept a refresh token");
    // Amplify reports a refresh that Cognito refuses as a session without tokens, and forgets them.
    const after = await fetchAuthSession({ forceRefresh: true });
    assert.equal(after.tokens, undefined);
    assert.equal(amplifyRefreshToken(), undefined);
    const cognito = createCognitoClient({ region: "us-east-1", endpoint: stack.emulator.url, useDummyCredentials: true }, { maxAttempts: 1 });
    await assert.rejects(cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: stack.webClientId, RefreshToken: refreshToken })), {
      name: "NotAuthorizedException",
      message: "Refresh Token has been revoked",
    });
    cognito.destroy();
    await signOut().catch(() => {});
  });

  it("an administrator's sign-out of a user cannot be undone by the library's refresh", async () => {
    const session = await libSignIn(member.username, member.password);
    const access = session.getAccessToken().getJwtToken();
    const uuid = String((await me(access)).body.uuid);
    const adminLogin = await post("/api/v1/auth/login", { username: admin.username, password: admin.password });
    assert.equal(adminLogin.status, 200, JSON.stringify(adminLogin.body));
    assert.equal((await post(`/api/v1/users/${uuid}/sign-out`, {}, adminLogin.body.access_token)).status, 204);
    assert.equal((await me(access)).status, 401);
    await assert.rejects(libRefresh(member.username, session), { code: "NotAuthorizedException" });
    // Signing in again afterwards works.
    assert.equal((await me((await libSignIn(member.username, member.password)).getAccessToken().getJwtToken())).status, 200);
  });

  it("openid-client discovers the pool and its endpoints, and refreshes at the token endpoint", async () => {
    const issuer = new URL(`${stack.emulator.url}/${stack.userPoolId}`);
    const config = await oidc.discovery(issuer, stack.webClientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, issuer.href);
    assert.equal(metadata.authorization_endpoint, `${stack.emulator.url}/oauth2/authorize`);
    assert.equal(metadata.token_endpoint, `${stack.emulator.url}/oauth2/token`);
    assert.ok(metadata.code_challenge_methods_supported?.includes("S256"));
    const session = await libSignIn(admin.username, admin.password);
    const tokens = await oidc.refreshTokenGrant(config, session.getRefreshToken().getToken());
    assert.equal(claims(tokens.access_token).origin_jti, claims(session.getAccessToken().getJwtToken()).origin_jti);
    assert.equal((await me(tokens.access_token)).status, 200);
  });

  it("a page on http://localhost:5173 gets CORS headers from the dev stack's API and its Cognito", async () => {
    const origin = "http://localhost:5173";
    const preflight = await fetch(`${stack.server.url}/api/v1/me`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    assert.equal(preflight.headers.get("access-control-allow-origin"), origin);
    const cognito = await fetch(stack.emulator.url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-amz-target,x-amz-user-agent" },
    });
    assert.equal(cognito.headers.get("access-control-allow-origin"), origin);
    const elsewhere = await fetch(`${stack.server.url}/api/v1/me`, { method: "OPTIONS", headers: { origin: "https://example.org", "access-control-request-method": "GET" } });
    assert.equal(elsewhere.headers.get("access-control-allow-origin"), null);
  });

  it("npm run serve on the same pool sends no CORS headers to that page", async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: path.join(stack.dir, "serve"),
      LOG_LEVEL: "silent",
      SHUTDOWN_DELAY_SECONDS: "0",
      COGNITO_ENDPOINT: stack.emulator.url,
      COGNITO_USER_POOL_ID: stack.userPoolId,
      COGNITO_CLIENT_IDS: `${stack.clientId},${stack.webClientId}`,
    };
    const serve = spawn("npm", ["run", "-s", "serve"], { env });
    const exited = new Promise((resolve) => serve.on("exit", resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      await until(async () => (await fetch(`${url}/readyz`)).status === 200, 60_000, "npm run serve");
      const origin = "http://localhost:5173";
      const preflight = await fetch(`${url}/api/v1/me`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } });
      assert.equal(preflight.headers.get("access-control-allow-origin"), null);
      const get = await fetch(`${url}/healthz`, { headers: { origin } });
      assert.equal(get.headers.get("access-control-allow-origin"), null);
    } finally {
      serve.kill("SIGTERM");
      await exited;
    }
  });
});
