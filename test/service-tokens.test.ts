// Apps calling the API as themselves, on the dev stack: the resource server and `service` client
// that provision creates, the client credentials grant the dev stack's Cognito adds at
// /oauth2/token (claims as AWS documents them, signed with the key its JWKS publishes, OAuth's
// errors), `cli service-token`, and a service token at the API.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import * as oidc from "openid-client";
import {
  CreateUserPoolClientCommand,
  DescribeResourceServerCommand,
  DescribeUserPoolClientCommand,
  ListUserPoolClientsCommand,
  UpdateResourceServerCommand,
  UpdateUserPoolClientCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { provision } from "../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { writeDevStack } from "../src/dev/stack-file.ts";
import { runCli } from "./support/cli.ts";
import { startDevStack, type DevStack } from "./support/dev-stack.ts";

const SCOPES = ["vrms-backend/users.read", "vrms-backend/users.write", "vrms-backend/permissions.read", "vrms-backend/permissions.write", "vrms-backend/webhooks.write"];
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

describe("services on the dev stack", () => {
  let stack: DevStack;
  let cognito: CognitoIdentityProviderClient;
  let secret: string;

  before(async () => {
    stack = await startDevStack("services");
    cognito = createCognitoClient({ region: "us-east-1", endpoint: stack.emulator.url, useDummyCredentials: true }, { maxAttempts: 1 });
    secret = (await describeClient(stack.serviceClientId)).ClientSecret!;
  });
  after(async () => {
    cognito?.destroy();
    await stack?.stop();
  });

  const describeClient = async (clientId: string) =>
    (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: clientId }))).UserPoolClient!;
  const basic = (id: string, key: string) => `Basic ${Buffer.from(`${id}:${key}`).toString("base64")}`;
  const token = (form: Record<string, string>, authorization?: string) =>
    fetch(`${stack.emulator.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(form),
    });
  const refusal = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: string }).error });

  it("provision creates the resource server with the five scopes and a client-credentials-only `service` client with a secret", async () => {
    const server = (await cognito.send(new DescribeResourceServerCommand({ UserPoolId: stack.userPoolId, Identifier: "vrms-backend" }))).ResourceServer!;
    assert.deepEqual(server.Scopes?.map((s) => s.ScopeName), ["users.read", "users.write", "permissions.read", "permissions.write", "webhooks.write"]);
    const client = await describeClient(stack.serviceClientId);
    assert.equal(client.ClientName, "service");
    assert.match(client.ClientSecret ?? "", /^\w{16,}$/);
    assert.deepEqual(client.AllowedOAuthFlows, ["client_credentials"]);
    assert.equal(client.AllowedOAuthFlowsUserPoolClient, true);
    assert.deepEqual(client.AllowedOAuthScopes, SCOPES);
    assert.deepEqual(client.ExplicitAuthFlows, ["ALLOW_REFRESH_TOKEN_AUTH"], "no flow a person signs in with");
    assert.equal(client.CallbackURLs, undefined);
  });

  it("a second provision creates nothing and finds nothing to correct; a scope removed or a user flow added is reported, then fixed", async () => {
    const again = await provision(cognito, { endpoint: stack.emulator.url, poolName: "vrms-dev", callbackUrl: "http://localhost:8000/admin" });
    assert.deepEqual([again.created, again.drift], [[], []]);
    assert.equal(again.serviceClientId, stack.serviceClientId);
    const services = (await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: stack.userPoolId, MaxResults: 60 }))).UserPoolClients!.filter((c) => c.ClientName === "service");
    assert.equal(services.length, 1);

    await cognito.send(new UpdateResourceServerCommand({ UserPoolId: stack.userPoolId, Identifier: "vrms-backend", Name: "vrms-backend", Scopes: [{ ScopeName: "users.read", ScopeDescription: "r" }, { ScopeName: "extra", ScopeDescription: "theirs" }] }));
    const client = await describeClient(stack.serviceClientId);
    await cognito.send(new UpdateUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: stack.serviceClientId, ...client, ClientSecret: undefined, LastModifiedDate: undefined, CreationDate: undefined, AllowedOAuthScopes: ["vrms-backend/users.read"], ExplicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"] } as never));
    const report = await provision(cognito, { endpoint: stack.emulator.url, poolName: "vrms-dev", callbackUrl: "http://localhost:8000/admin" });
    assert.deepEqual(report.drift.map((d) => `${d.subject} ${d.setting}`).sort(), [
      `app client service (${stack.serviceClientId}) AllowedOAuthScopes`,
      `app client service (${stack.serviceClientId}) ExplicitAuthFlows`,
      "resource server vrms-backend Scopes",
    ]);
    assert.equal(report.fixed, false);
    const fixed = await provision(cognito, { endpoint: stack.emulator.url, poolName: "vrms-dev", callbackUrl: "http://localhost:8000/admin", fix: true });
    assert.equal(fixed.fixed, true);
    const scopes = (await cognito.send(new DescribeResourceServerCommand({ UserPoolId: stack.userPoolId, Identifier: "vrms-backend" }))).ResourceServer!.Scopes!.map((s) => s.ScopeName);
    assert.deepEqual(scopes, ["users.read", "extra", "users.write", "permissions.read", "permissions.write", "webhooks.write"], "ours added, theirs kept");
    const after = await describeClient(stack.serviceClientId);
    assert.deepEqual(after.AllowedOAuthScopes, SCOPES);
    assert.deepEqual(after.ExplicitAuthFlows, ["ALLOW_REFRESH_TOKEN_AUTH"]);
    assert.equal(after.ClientSecret, secret, "the secret is kept");
  });

  it("the emulator refuses what Cognito refuses: a client naming an undefined scope, client credentials without a secret or beside the code grant", async () => {
    const create = (input: Record<string, unknown>) => cognito.send(new CreateUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientName: "bad", AllowedOAuthFlowsUserPoolClient: true, ...input }));
    await assert.rejects(create({ GenerateSecret: true, AllowedOAuthFlows: ["client_credentials"], AllowedOAuthScopes: ["vrms-backend/nope"] }), { name: "ScopeDoesNotExistException" });
    await assert.rejects(create({ GenerateSecret: false, AllowedOAuthFlows: ["client_credentials"], AllowedOAuthScopes: [SCOPES[0]] }), { name: "InvalidOAuthFlowException" });
    await assert.rejects(create({ GenerateSecret: true, AllowedOAuthFlows: ["client_credentials", "code"], AllowedOAuthScopes: [SCOPES[0]] }), { name: "InvalidOAuthFlowException" });
  });

  it("issues an access token with exactly AWS's client-credentials claims, signed with the key of the pool's JWKS", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await token({ grant_type: "client_credentials" }, basic(stack.serviceClientId, secret));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    assert.deepEqual(Object.keys(body).sort(), ["access_token", "expires_in", "token_type"]);
    assert.deepEqual([body.token_type, body.expires_in], ["Bearer", 3600]);
    const claims = claimsOf(body.access_token);
    assert.deepEqual(Object.keys(claims).sort(), ["auth_time", "client_id", "exp", "iat", "iss", "jti", "scope", "sub", "token_use", "version"]);
    assert.equal(claims.sub, stack.serviceClientId);
    assert.equal(claims.client_id, stack.serviceClientId);
    assert.equal(claims.token_use, "access");
    assert.equal(claims.version, 2);
    assert.equal(claims.scope, SCOPES.join(" "), "no scope asked: all the client's");
    assert.equal(claims.iss, `${stack.emulator.url}/${stack.userPoolId}`);
    assert.ok(Number(claims.iat) >= before && claims.auth_time === claims.iat);
    assert.equal(Number(claims.exp) - Number(claims.iat), 3600, "the client's access-token validity");
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);

    const [header, payload, signature] = body.access_token.split(".") as [string, string, string];
    const { kid, alg } = JSON.parse(Buffer.from(header, "base64url").toString()) as { kid: string; alg: string };
    assert.equal(alg, "RS256");
    const jwks = (await (await fetch(`${stack.emulator.url}/${stack.userPoolId}/.well-known/jwks.json`)).json()) as { keys: (JsonWebKey & { kid: string })[] };
    const jwk = jwks.keys.find((k) => k.kid === kid);
    assert.ok(jwk, `the JWKS has kid ${kid}`);
    const key = createPublicKey({ key: jwk, format: "jwk" });
    assert.ok(verify("sha256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url")));
    assert.ok(!verify("sha256", Buffer.from(`${header}.${payload}x`), key, Buffer.from(signature, "base64url")), "the check can fail");
  });

  it("takes the credentials as form fields too, and a narrower scope", async () => {
    const res = await token({ grant_type: "client_credentials", client_id: stack.serviceClientId, client_secret: secret, scope: "vrms-backend/users.read" });
    assert.equal(res.status, 200);
    assert.equal(claimsOf(((await res.json()) as { access_token: string }).access_token).scope, "vrms-backend/users.read");
  });

  it("openid-client, from the pool's discovery document, gets a client-credentials token with client_secret_basic", async () => {
    const issuer = new URL(`${stack.emulator.url}/${stack.userPoolId}`);
    const config = await oidc.discovery(issuer, stack.serviceClientId, secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    assert.ok(config.serverMetadata().grant_types_supported?.includes("client_credentials"));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "vrms-backend/users.read vrms-backend/permissions.read" });
    assert.equal(tokens.token_type, "bearer");
    assert.equal(claimsOf(tokens.access_token).scope, "vrms-backend/users.read vrms-backend/permissions.read");
  });

  it("answers OAuth's errors: a bad secret or unknown client, a scope not allowed, a client without the grant", async () => {
    const bad = await token({ grant_type: "client_credentials" }, basic(stack.serviceClientId, `${secret}x`));
    assert.equal(bad.headers.get("www-authenticate")?.startsWith("Basic"), true);
    assert.deepEqual(await refusal(bad), { status: 401, error: "invalid_client" });
    assert.deepEqual(await refusal(await token({ grant_type: "client_credentials" }, basic("nosuchclient", secret))), { status: 401, error: "invalid_client" });
    assert.deepEqual(await refusal(await token({ grant_type: "client_credentials", client_id: stack.serviceClientId })), { status: 401, error: "invalid_client" }, "no secret");
    for (const scope of ["vrms-backend/admin", "openid", "aws.cognito.signin.user.admin", `${SCOPES[0]} other/users.read`]) {
      assert.deepEqual(await refusal(await token({ grant_type: "client_credentials", scope }, basic(stack.serviceClientId, secret))), { status: 400, error: "invalid_scope" }, scope);
    }
    // The backend client signs people in: no secret, no such grant.
    assert.deepEqual(await refusal(await token({ grant_type: "client_credentials", client_id: stack.clientId })), { status: 400, error: "unauthorized_client" });
    // A confidential client for people (code grant, with a secret), authenticated correctly.
    const confidential = (
      await cognito.send(
        new CreateUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientName: "confidential", GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ["code"], AllowedOAuthScopes: ["openid", SCOPES[0]!], CallbackURLs: ["http://localhost:3000/"] }),
      )
    ).UserPoolClient!;
    assert.deepEqual(await refusal(await token({ grant_type: "client_credentials" }, basic(confidential.ClientId!, confidential.ClientSecret!))), { status: 400, error: "unauthorized_client" });
  });

  it("`cli service-token` prints a token of the dev stack's service client (secret read from Cognito), --scope narrows it; errors are one line", async () => {
    const dataDir = stack.dir;
    await writeDevStack(dataDir, { endpoint: stack.emulator.url, user_pool_id: stack.userPoolId, client_id: stack.clientId, web_client_id: stack.webClientId, service_client_id: stack.serviceClientId, api_url: stack.server.url });
    const env = { HOME: dataDir, DATA_DIR: dataDir };
    const run = await runCli(["service-token"], env);
    assert.equal(run.code, 0, run.stderr);
    const printed = run.stdout.trim();
    assert.equal(printed.split("\n").length, 1);
    const claims = claimsOf(printed);
    assert.deepEqual([claims.client_id, claims.scope], [stack.serviceClientId, SCOPES.join(" ")]);
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret));

    const narrow = await runCli(["service-token", "--scope", "vrms-backend/permissions.read"], env);
    assert.equal(claimsOf(narrow.stdout.trim()).scope, "vrms-backend/permissions.read");
    const refused = await runCli(["service-token", "--scope", "vrms-backend/nope"], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: the token endpoint refused: invalid_scope/);
    assert.equal(refused.stderr.trim().split("\n").length, 1);

    // A dev-stack.json from before the service client: found by name.
    await writeDevStack(dataDir, { endpoint: stack.emulator.url, user_pool_id: stack.userPoolId, client_id: stack.clientId, api_url: stack.server.url });
    const older = await runCli(["service-token"], env);
    assert.equal(older.code, 0, older.stderr);
    assert.equal(claimsOf(older.stdout.trim()).client_id, stack.serviceClientId);
  });

  // Needs the API's side of services (COGNITO_SERVICE_CLIENT_IDS, `not_a_user`, scopes on routes).
  it("the API takes the service token as a service: GET /api/v1/users answers, /api/v1/me is for people", async () => {
    const body = (await (await token({ grant_type: "client_credentials", scope: "vrms-backend/users.read" }, basic(stack.serviceClientId, secret))).json()) as { access_token: string };
    const auth = { authorization: `Bearer ${body.access_token}` };
    const users = await fetch(`${stack.server.url}/api/v1/users`, { headers: auth });
    assert.equal(users.status, 200, await users.clone().text());
    assert.ok(Array.isArray(((await users.json()) as { results: unknown[] }).results));
    const me = await fetch(`${stack.server.url}/api/v1/me`, { headers: auth });
    assert.equal(me.status, 403);
    assert.equal(((await me.json()) as { code: string }).code, "not_a_user");
 

    // The README's line, as a person runs it in a shell (the dev stack's data in DATA_DIR, its API's port).
    await writeDevStack(stack.dir, { endpoint: stack.emulator.url, user_pool_id: stack.userPoolId, client_id: stack.clientId, service_client_id: stack.serviceClientId, api_url: stack.server.url });
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const line = /^curl -H "Authorization: Bearer \$\(npm run -s cli -- service-token\)" http:\/\/localhost:8000\/api\/v1\/users$/m.exec(readme)?.[0];
    assert.ok(line, "the README shows a service calling the API");
    // Asynchronously: the API answers from this process.
    const status = await promisify(execFile)("sh", ["-c", `${line.replace("http://localhost:8000", stack.server.url)} -s -o /dev/null -w '%{http_code}'`], {
      env: { PATH: process.env.PATH ?? "", HOME: stack.dir, DATA_DIR: stack.dir },
      timeout: 60_000,
    });
    assert.equal(status.stdout, "200", status.stderr);
  });
});
