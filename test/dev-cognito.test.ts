// The dev stack's Cognito (cognito-local behind src/dev/cognito's front), operation by operation,
// against the real emulator: session claims, enforced flows, sign-out, OAuth endpoints, discovery,
// and who may call it.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmod, readdir, stat } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminInitiateAuthCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { DEMO_USERS } from "../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { startEmulator } from "../src/dev/emulator.ts";
import { restamp } from "../src/dev/cognito/tokens.ts";
import { startDevStack, type DevStack } from "./support/dev-stack.ts";
import { freePort } from "../support/net.ts";

const member = DEMO_USERS.find((u) => u.groups.length === 0)!;
const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

describe("the dev stack's Cognito", () => {
  let stack: DevStack;
  let cognito: CognitoIdentityProviderClient;

  before(async () => {
    stack = await startDevStack("dev-cognito");
    cognito = createCognitoClient({ region: "us-east-1", endpoint: stack.emulator.url, useDummyCredentials: true }, { maxAttempts: 1 });
  });
  after(async () => {
    cognito?.destroy();
    await stack?.stop();
  });

  const signIn = async (): Promise<Required<Pick<AuthenticationResultType, "AccessToken" | "IdToken" | "RefreshToken">> & AuthenticationResultType> => {
    const out = await cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId: stack.userPoolId,
        ClientId: stack.clientId,
        AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: member.username, PASSWORD: member.password },
      }),
    );
    return out.AuthenticationResult as never;
  };
  const refresh = (token: string, clientId = stack.clientId) =>
    cognito.send(new AdminInitiateAuthCommand({ UserPoolId: stack.userPoolId, ClientId: clientId, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: token } }));
  const getUser = (token: string) => cognito.send(new GetUserCommand({ AccessToken: token }));

  it("tokens carry Cognito's session claims: one origin_jti for access and id token, kept with auth_time across refreshes; ExpiresIn and TokenType", async () => {
    const tokens = await signIn();
    const access = claims(tokens.AccessToken);
    assert.equal(typeof access.origin_jti, "string");
    assert.equal(claims(tokens.IdToken).origin_jti, access.origin_jti);
    assert.equal(typeof access.event_id, "string");
    assert.equal(tokens.ExpiresIn, 3600);
    assert.equal(tokens.TokenType, "Bearer");
    await new Promise((r) => setTimeout(r, 1100));
    const again = (await refresh(tokens.RefreshToken)).AuthenticationResult!;
    assert.equal(claims(again.AccessToken!).origin_jti, access.origin_jti);
    assert.equal(claims(again.AccessToken!).auth_time, access.auth_time, "auth_time is the sign-in's");
    assert.ok(Number(claims(again.AccessToken!).iat) > Number(access.iat));
    assert.equal(again.ExpiresIn, 3600);
    const viaNewApi = await cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: stack.clientId, RefreshToken: tokens.RefreshToken }));
    assert.equal(claims(viaNewApi.AuthenticationResult!.AccessToken!).origin_jti, access.origin_jti);
    assert.equal(viaNewApi.AuthenticationResult!.RefreshToken, undefined, "no rotation: the refresh token stays the same");
  });

  it("enforces each client's auth flows, as Cognito does", async () => {
    const passwordAuth = (clientId: string) =>
      cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: member.username, PASSWORD: member.password } }));
    for (const clientId of [stack.clientId, stack.webClientId]) {
      await assert.rejects(passwordAuth(clientId), { name: "InvalidParameterException", message: "USER_PASSWORD_AUTH flow not enabled for this client" });
    }
    await assert.rejects(
      cognito.send(new AdminInitiateAuthCommand({ UserPoolId: stack.userPoolId, ClientId: stack.webClientId, AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: member.username, PASSWORD: member.password } })),
      { name: "InvalidParameterException" },
    );
    await assert.rejects(
      cognito.send(new InitiateAuthCommand({ ClientId: stack.clientId, AuthFlow: "USER_SRP_AUTH", AuthParameters: { USERNAME: member.username, SRP_A: "abc" } })),
      { name: "InvalidParameterException", message: "USER_SRP_AUTH flow not enabled for this client" },
    );
  });

  it("answers a body that is no JSON object, and a target named like an Object property, as errors", async () => {
    const call = (target: string, body: string) =>
      fetch(stack.emulator.url, { method: "POST", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${target}` }, body });
    for (const body of ["null", "[]", "{", "7"]) assert.equal((await call("GetUser", body)).status, 400, body);
    for (const target of ["constructor", "__proto__", "toString", "NoSuchOperation"]) {
      const res = await call(target, "{}");
      assert.equal(res.status, 500, target);
      assert.equal(((await res.json()) as { __type: string }).__type, "CognitoLocal#Unsupported", target);
    }
  });

  it("refuses an SRP_A that is 0 mod N (which would let a client sign in without the password)", async () => {
    const N = BigInt(`0x${"F".repeat(16)}C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CA${"F".repeat(16)}`);
    for (const A of [0n, N, 2n * N]) {
      await assert.rejects(
        cognito.send(new InitiateAuthCommand({ ClientId: stack.webClientId, AuthFlow: "USER_SRP_AUTH", AuthParameters: { USERNAME: member.username, SRP_A: A.toString(16) } })),
        { name: "InvalidParameterException" },
      );
    }
  });

  it("refuses a refresh token at another client, and forged or expired access tokens at GetUser", async () => {
    const tokens = await signIn();
    await assert.rejects(refresh(tokens.RefreshToken, stack.webClientId), { name: "NotAuthorizedException", message: "Invalid Refresh Token" });
    assert.equal((await getUser(tokens.AccessToken)).UserAttributes?.find((a) => a.Name === "email")?.Value, member.username);
    const [header, payload] = tokens.AccessToken.split(".");
    await assert.rejects(getUser(`${header}.${payload}.${Buffer.from("forged").toString("base64url")}`), { name: "NotAuthorizedException", message: "Invalid Access Token" });
    await assert.rejects(getUser(restamp(tokens.AccessToken, { exp: 1 })), { name: "NotAuthorizedException", message: "Access Token has expired" });
    await assert.rejects(getUser(tokens.IdToken), { name: "NotAuthorizedException", message: "Invalid Access Token" });
  });

  it("RevokeToken ends that session (its refresh and access tokens), only at the client that issued it, and no other", async () => {
    const [a, b] = [await signIn(), await signIn()];
    await assert.rejects(cognito.send(new RevokeTokenCommand({ ClientId: stack.webClientId, Token: a.RefreshToken })), { name: "UnauthorizedException" });
    await cognito.send(new RevokeTokenCommand({ ClientId: stack.clientId, Token: a.RefreshToken }));
    await assert.rejects(refresh(a.RefreshToken), { name: "NotAuthorizedException", message: "Refresh Token has been revoked" });
    await assert.rejects(getUser(a.AccessToken), { name: "NotAuthorizedException", message: "Access Token has been revoked" });
    assert.ok((await refresh(b.RefreshToken)).AuthenticationResult?.AccessToken);
    assert.ok(await getUser(b.AccessToken));
  });

  it("GlobalSignOut ends every session of the user; signing in again works", async () => {
    const [a, b] = [await signIn(), await signIn()];
    await cognito.send(new GlobalSignOutCommand({ AccessToken: a.AccessToken }));
    for (const session of [a, b]) {
      await assert.rejects(refresh(session.RefreshToken), { name: "NotAuthorizedException" });
      await assert.rejects(getUser(session.AccessToken), { name: "NotAuthorizedException", message: "Access Token has been revoked" });
    }
    const fresh = await signIn();
    assert.ok(await getUser(fresh.AccessToken));
  });

  it("the OAuth token endpoint's refresh grant keeps the session and refuses an ended one; the revocation endpoint ends it", async () => {
    const tokens = await signIn();
    const form = (url: string, body: Record<string, string>) =>
      fetch(`${stack.emulator.url}${url}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
    const granted = await form("/oauth2/token", { grant_type: "refresh_token", client_id: stack.clientId, refresh_token: tokens.RefreshToken });
    assert.equal(granted.status, 200);
    const body = (await granted.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(claims(body.access_token).origin_jti, claims(tokens.AccessToken).origin_jti);
    assert.deepEqual([body.token_type, body.expires_in], ["Bearer", 3600]);
    assert.equal((await form("/oauth2/revoke", { token: tokens.RefreshToken, client_id: stack.clientId })).status, 200);
    const refused = await form("/oauth2/token", { grant_type: "refresh_token", client_id: stack.clientId, refresh_token: tokens.RefreshToken });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, "invalid_grant");
  });

  it("discovery names this emulator's own endpoints, and no pool it does not have", async () => {
    const doc = (await (await fetch(`${stack.emulator.url}/${stack.userPoolId}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    assert.equal(doc.issuer, `${stack.emulator.url}/${stack.userPoolId}`);
    assert.equal(doc.jwks_uri, `${stack.emulator.url}/${stack.userPoolId}/.well-known/jwks.json`);
    assert.equal(doc.revocation_endpoint, `${stack.emulator.url}/oauth2/revoke`);
    assert.equal((await fetch(`${stack.emulator.url}/local_nope/.well-known/openid-configuration`)).status, 404);
  });

  it("answers only to localhost, to pages of local origins (never `*`), and to no other page", async () => {
    const target = { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.ListUserPools" };
    const list = (headers: Record<string, string>) => fetch(stack.emulator.url, { method: "POST", headers: { ...target, ...headers }, body: JSON.stringify({ MaxResults: 10 }) });
    const local = await list({ origin: "http://localhost:3000" });
    assert.equal(local.status, 200);
    assert.equal(local.headers.get("access-control-allow-origin"), "http://localhost:3000");
    assert.equal((await list({ origin: "https://evil.example" })).status, 403);
    assert.equal((await list({ origin: "null" })).status, 403);
    const jwks = await fetch(`${stack.emulator.url}/${stack.userPoolId}/.well-known/jwks.json`, { headers: { origin: "http://localhost:5173" } });
    assert.equal(jwks.headers.get("access-control-allow-origin"), "http://localhost:5173", "cognito-local's own `*` is replaced");
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(stack.emulator.url, { method: "GET", path: "/health", headers: { host: `rebound.example:${new URL(stack.emulator.url).port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject).end();
    });
    assert.equal(rebound, 421, "a name rebound to 127.0.0.1 is refused");
  });

  it("its Hosted UI page runs no script and is framed by no one", async () => {
    const query = new URLSearchParams({
      client_id: stack.webClientId,
      redirect_uri: "http://localhost:5173/",
      response_type: "code",
      code_challenge: "x".repeat(43),
      code_challenge_method: "S256",
      // A state that would write into the page is refused (dev-stack-attacks.test.ts).
      state: "c3RhdGU",
    });
    const page = await fetch(`${stack.emulator.url}/oauth2/authorize?${query}`);
    assert.equal(page.status, 200);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.ok(!/script-src/.test(csp), csp);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  it("keeps its data 0600 in 0700 folders, data from older versions included", async () => {
    const dataDir = path.join(stack.dir, "cognito");
    const modes = async (dir: string): Promise<string[]> => {
      const found = [`${dir} ${((await stat(dir)).mode & 0o777).toString(8)}`];
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) found.push(...(await modes(full)));
        else found.push(`${full} ${((await stat(full)).mode & 0o777).toString(8)}`);
      }
      return found;
    };
    const all = await modes(dataDir);
    assert.ok(all.some((line) => line.includes(`${stack.userPoolId}.json`)), all.join("\n"));
    for (const line of all) assert.match(line, / (600|700)$/);
    // An older dev stack's data: 0644 in 0755, then a start on it.
    const old = path.join(stack.dir, "old-cognito");
    const before = await startEmulator({ port: await freePort(), dataDir: old, env: { PATH: process.env.PATH ?? "" } });
    await before.stop();
    await chmod(old, 0o755);
    await chmod(path.join(old, ".cognito", "db", "clients.json"), 0o644);
    const again = await startEmulator({ port: await freePort(), dataDir: old, env: { PATH: process.env.PATH ?? "" } });
    await again.stop();
    for (const line of await modes(old)) assert.match(line, / (600|700)$/);
  });

  // Review findings: the engine matches paths without case and with a trailing slash.
  const postForm = (url: string, body: Record<string, string>) =>
    fetch(`${stack.emulator.url}${url}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
  const withMemberDisabled = async (fn: () => Promise<void>) => {
    await cognito.send(new AdminDisableUserCommand({ UserPoolId: stack.userPoolId, Username: member.username }));
    try {
      await fn();
    } finally {
      await cognito.send(new AdminEnableUserCommand({ UserPoolId: stack.userPoolId, Username: member.username }));
    }
  };

  it("every spelling of the OAuth token endpoint applies the session rules: a disabled user, another client, the session claims", async () => {
    const tokens = await signIn();
    await withMemberDisabled(async () => {
      for (const variant of ["/oauth2/token", "/oauth2/token/", "/OAuth2/Token", "/OAUTH2/TOKEN/"]) {
        const res = await postForm(variant, { grant_type: "refresh_token", client_id: stack.clientId, refresh_token: tokens.RefreshToken });
        assert.equal(res.status, 400, `a disabled user got tokens from ${variant}`);
      }
    });
    const other = await postForm("/oauth2/token/", { grant_type: "refresh_token", client_id: stack.webClientId, refresh_token: tokens.RefreshToken });
    assert.equal(other.status, 400, "a refresh token is bound to its client");
    const same = await postForm("/OAuth2/Token/", { grant_type: "refresh_token", client_id: stack.clientId, refresh_token: tokens.RefreshToken });
    assert.equal(same.status, 200);
    const body = (await same.json()) as { access_token: string };
    assert.equal(claims(body.access_token).origin_jti, claims(tokens.AccessToken).origin_jti, "the same session");
    assert.equal(claims(body.access_token).auth_time, claims(tokens.AccessToken).auth_time, "the sign-in's time kept");
  });

  it("the Hosted UI gives a disabled user no authorization code", async () => {
    await withMemberDisabled(async () => {
      const challenge = createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url");
      const login = await fetch(`${stack.emulator.url}/oauth2/authorize/`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          client_id: stack.webClientId, redirect_uri: "http://localhost:5173/", response_type: "code",
          code_challenge: challenge, code_challenge_method: "S256", username: member.username, password: member.password,
        }),
      });
      assert.notEqual(login.status, 302, "a disabled user was sent back with a code");
      assert.equal(login.status, 400);
    });
  });
});
