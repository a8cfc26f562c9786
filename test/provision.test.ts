// `provision` against the real Cognito emulator: what a fresh pool and client get, and how a pool
// or client left with older, weaker settings is reported and (with --fix) corrected.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { provision } from "../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { startEmulator, type Emulator } from "../src/dev/emulator.ts";
import { clientUpdate, poolUpdate } from "../src/cognito/pool-settings.ts";
import { runCli } from "./support/cli.ts";
import { copyFolder } from "./support/databases.ts";
import { startTestEmulator, type TestEmulator } from "./support/emulator.ts";
import { freePort } from "../support/net.ts";
import { startReceiver } from "./support/otlp-receiver.ts";
import { migratedPgliteTemplate } from "./support/pglite-template.ts";
import { until } from "./support/wait.ts";

const CALLBACK = "http://localhost:8000/admin";
/** provision's stdout: its KEY=VALUE lines and nothing else. */
const ONLY_SETTINGS = /^(?:[A-Z_]+=\S*\n)+$/;

describe("provision with the cognito-local emulator", () => {
  let lab: TestEmulator | undefined;
  let dir: string;
  let emulator: Emulator;
  let cognito: CognitoIdentityProviderClient;
  let cliEnv: Record<string, string>;

  before(async () => {
    lab = await startTestEmulator("provision");
    ({ dir, emulator, cognito } = lab);
    cliEnv = { COGNITO_ENDPOINT: emulator.url, HOME: dir, DATA_DIR: dir };
  });

  after(() => lab?.stop());

  const describeClient = async (userPoolId: string, clientId: string) =>
    (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }))).UserPoolClient!;
  const describePool = async (userPoolId: string) => (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }))).UserPool!;

  /** A pool and `backend` client as provision created them before issue 12, plus what an operator added. */
  async function legacyPool(name: string, on = cognito): Promise<{ userPoolId: string; clientId: string }> {
    const pool = await on.send(new CreateUserPoolCommand({ PoolName: name, UsernameAttributes: ["email"], AutoVerifiedAttributes: ["email"] }));
    const userPoolId = pool.UserPool!.Id!;
    const client = await on.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: "backend",
        GenerateSecret: false,
        ExplicitAuthFlows: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ["code"],
        AllowedOAuthScopes: ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
        SupportedIdentityProviders: ["COGNITO"],
        CallbackURLs: [CALLBACK, "https://api.example.org/admin"],
        LogoutURLs: [CALLBACK, "https://api.example.org/admin"],
        AccessTokenValidity: 60,
        IdTokenValidity: 60,
        RefreshTokenValidity: 7,
        TokenValidityUnits: { AccessToken: "minutes", IdToken: "minutes", RefreshToken: "days" },
      }),
    );
    return { userPoolId, clientId: client.UserPoolClient!.ClientId! };
  }

  it("a fresh pool's backend client has only the backend's flows, hides who has an account, revokes tokens; only administrators create users", async () => {
    const result = await provision(cognito, { endpoint: emulator.url, poolName: "fresh", callbackUrl: CALLBACK });
    assert.deepEqual(result.drift, []);
    const client = await describeClient(result.userPoolId, result.clientId);
    assert.deepEqual([...(client.ExplicitAuthFlows ?? [])].sort(), ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
    assert.equal(client.PreventUserExistenceErrors, "ENABLED");
    assert.equal(client.EnableTokenRevocation, true);
    assert.deepEqual(client.AllowedOAuthFlows, ["code"]);
    assert.equal(client.AllowedOAuthFlowsUserPoolClient, true);
    assert.deepEqual(client.TokenValidityUnits, { AccessToken: "minutes", IdToken: "minutes", RefreshToken: "days" });
    assert.equal(client.AccessTokenValidity, 60);
    assert.equal(client.ClientSecret, undefined);
    assert.equal((await describePool(result.userPoolId)).AdminCreateUserConfig?.AllowAdminCreateUserOnly, true);

    const again = await runCli(["provision", "--pool-name", "fresh"], cliEnv);
    assert.equal(again.code, 0, again.stderr);
    // stdout is the settings alone (for >> .env); what provision did goes to stderr.
    assert.match(again.stdout, ONLY_SETTINGS);
    assert.match(again.stderr, /^nothing to create or correct/m);
    assert.match(again.stdout, new RegExp(`^COGNITO_SERVICE_CLIENT_IDS=${result.serviceClientId}$`, "m"));
    assert.match(again.stdout, /^COGNITO_RESOURCE_SERVER=vrms-backend$/m);
    assert.ok(!/differs|corrected/.test(again.stderr));
  });

  it("a fresh pool's web client signs in with SRP or the code grant and refreshes; local callbacks; --web-callback-url adds one, reported then fixed", async () => {
    const result = await provision(cognito, { endpoint: emulator.url, poolName: "web", callbackUrl: CALLBACK });
    assert.notEqual(result.webClientId, result.clientId);
    const web = await describeClient(result.userPoolId, result.webClientId);
    assert.equal(web.ClientName, "web");
    assert.deepEqual([...(web.ExplicitAuthFlows ?? [])].sort(), ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]);
    assert.deepEqual(web.AllowedOAuthFlows, ["code"]);
    assert.equal(web.PreventUserExistenceErrors, "ENABLED");
    assert.equal(web.EnableTokenRevocation, true);
    assert.equal(web.ClientSecret, undefined, "a browser keeps no secret");
    assert.deepEqual(web.CallbackURLs, ["http://localhost:3000/", "http://localhost:5173/"]);

    const extra = ["provision", "--pool-name", "web", "--web-callback-url", "http://localhost:4200/"];
    const report = await runCli(extra, cliEnv);
    assert.equal(report.code, 1);
    assert.match(report.stderr, new RegExp(`^differs: app client web \\(${result.webClientId}\\): CallbackURLs found .*, expected .*"http://localhost:4200/"`, "m"));
    assert.match(report.stdout, new RegExp(`^COGNITO_CLIENT_IDS=${result.clientId},${result.webClientId}$`, "m"));
    const fixed = await runCli([...extra, "--fix"], cliEnv);
    assert.equal(fixed.code, 0, fixed.stderr);
    const after = await describeClient(result.userPoolId, result.webClientId);
    assert.deepEqual(after.CallbackURLs, ["http://localhost:3000/", "http://localhost:5173/", "http://localhost:4200/"]);
    assert.deepEqual(after.LogoutURLs, after.CallbackURLs);
    const again = await runCli(["provision", "--pool-name", "web"], cliEnv);
    assert.match(again.stderr, /^nothing to create or correct/m, "URLs beyond the defaults are kept, not reported");
  });

  it("reports each weaker setting of an existing client and pool in one line, exits 1, and changes nothing", async () => {
    const { userPoolId, clientId } = await legacyPool("legacy-report");
    const clientBefore = await describeClient(userPoolId, clientId);
    const poolBefore = await describePool(userPoolId);

    const run = await runCli(["provision", "--pool-name", "legacy-report"], cliEnv);
    assert.equal(run.code, 1);
    const subject = `app client backend (${clientId})`;
    const differs = run.stderr.split("\n").filter((line) => line.startsWith("differs: "));
    assert.deepEqual(differs.sort(), [
      `differs: ${subject}: EnableTokenRevocation found unset, expected true`,
      `differs: ${subject}: ExplicitAuthFlows found ["ALLOW_ADMIN_USER_PASSWORD_AUTH","ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"], expected ["ALLOW_ADMIN_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"]`,
      `differs: ${subject}: PreventUserExistenceErrors found unset, expected "ENABLED"`,
      `differs: user pool legacy-report (${userPoolId}): AdminCreateUserConfig.AllowAdminCreateUserOnly found false, expected true`,
    ]);
    assert.match(run.stdout, new RegExp(`^COGNITO_CLIENT_IDS=${clientId},\\w+$`, "m"));
    assert.match(run.stdout, ONLY_SETTINGS);
    const errors = run.stderr.trim().split("\n").filter((line) => line.startsWith("error: "));
    assert.equal(errors.length, 1, run.stderr);
    assert.match(errors[0]!, /^error: 4 setting\(s\) differ .*--fix/);

    assert.deepEqual(await describeClient(userPoolId, clientId), clientBefore, "the client is unchanged");
    assert.deepEqual(await describePool(userPoolId), poolBefore, "the pool is unchanged");
  });

  it("--fix corrects them, keeping what is the deployment's own (callback URLs, refresh-token validity)", async () => {
    const { userPoolId, clientId } = await legacyPool("legacy-fix");
    const before = await describeClient(userPoolId, clientId);

    const run = await runCli(["provision", "--pool-name", "legacy-fix", "--fix"], cliEnv);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr.split("\n").filter((line) => line.startsWith("corrected: ")).length, 4, run.stderr);
    assert.match(run.stdout, ONLY_SETTINGS);
    assert.match(run.stderr, /^corrected: app client backend \(\w+\): ExplicitAuthFlows found \[.*"ALLOW_USER_PASSWORD_AUTH".*\], expected/m);

    const client = await describeClient(userPoolId, clientId);
    assert.deepEqual([...(client.ExplicitAuthFlows ?? [])].sort(), ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
    assert.equal(client.PreventUserExistenceErrors, "ENABLED");
    assert.equal(client.EnableTokenRevocation, true);
    assert.deepEqual(client.CallbackURLs, before.CallbackURLs);
    assert.deepEqual(client.LogoutURLs, before.LogoutURLs);
    assert.equal(client.RefreshTokenValidity, 7);
    assert.deepEqual(client.SupportedIdentityProviders, ["COGNITO"]);
    assert.deepEqual(client.AllowedOAuthScopes, before.AllowedOAuthScopes);
    const pool = await describePool(userPoolId);
    assert.equal(pool.AdminCreateUserConfig?.AllowAdminCreateUserOnly, true);
    assert.deepEqual(pool.UsernameAttributes, ["email"], "what UpdateUserPool cannot change is still there");
    assert.deepEqual(pool.AutoVerifiedAttributes, ["email"], "passed back as found");

    const again = await runCli(["provision", "--pool-name", "legacy-fix"], cliEnv);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^nothing to create or correct/m);
  });

  it("self sign-up is a flag: a pool that differs from it is reported, and corrected with --fix", async () => {
    await provision(cognito, { endpoint: emulator.url, poolName: "signup", callbackUrl: CALLBACK });
    const report = await runCli(["provision", "--pool-name", "signup", "--self-sign-up"], cliEnv);
    assert.equal(report.code, 1);
    assert.match(report.stderr, /^differs: user pool signup \(\w+\): AdminCreateUserConfig\.AllowAdminCreateUserOnly found true, expected false$/m);
    const fixed = await runCli(["provision", "--pool-name", "signup", "--self-sign-up", "--fix"], cliEnv);
    assert.equal(fixed.code, 0, fixed.stderr);
    const id = /^COGNITO_USER_POOL_ID=(\S+)$/m.exec(fixed.stdout)![1]!;
    assert.equal((await describePool(id)).AdminCreateUserConfig?.AllowAdminCreateUserOnly, false);
  });

  it("npm start corrects an old .data pool by itself, says what it corrected, and traces when OTEL_* ask", async () => {
    // An emulator data directory as an older dev stack left it, then the dev stack on it.
    const dataDir = path.join(dir, "old-data");
    const old = await startEmulator({ port: await freePort(), dataDir: path.join(dataDir, "cognito"), env: { PATH: process.env.PATH ?? "" } });
    const oldCognito = createCognitoClient({ region: "us-east-1", endpoint: old.url, useDummyCredentials: true });
    const { clientId } = await legacyPool("vrms-dev", oldCognito);
    oldCognito.destroy();
    await old.stop();
    // Its database too (a copy of the migrated template: initdb and the migrations cost seconds).
    await copyFolder(await migratedPgliteTemplate(), path.join(dataDir, "db"));

    const cognitoPort = await freePort();
    const receiver = await startReceiver();
    const apiPort = await freePort();
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      DATA_DIR: dataDir,
      PORT: String(apiPort),
      COGNITO_LOCAL_PORT: String(cognitoPort),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    };
    const dev = spawn(process.execPath, ["--import", "tsx", "src/dev/start.ts"], { env, timeout: 90_000 });
    let stdout = "";
    dev.stdout.on("data", (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => dev.on("close", resolve));
    try {
      for (let waited = 0; !stdout.includes("dev stack is up") && dev.exitCode === null && waited < 60_000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(stdout, /dev stack is up/);
      assert.match(stdout, /^ {2}Service client: \w+ /m);
      assert.match(stdout, /^ {2}curl -s -H "Authorization: Bearer \$\(npm run -s cli -- service-token\)" http:\/\/localhost:\d+\/api\/v1\/users$/m);
      const written = JSON.parse(await readFile(path.join(dataDir, "dev-stack.json"), "utf8")) as { service_client_id?: string };
      assert.match(written.service_client_id ?? "", /^\w+$/, "the CLI finds the service client here");
      const corrected = stdout.split("\n").filter((line) => line.startsWith("  corrected "));
      assert.equal(corrected.length, 4, stdout);
      assert.ok(corrected.includes(`  corrected app client backend (${clientId}): PreventUserExistenceErrors found unset, expected "ENABLED"`), stdout);
      const running = createCognitoClient({ region: "us-east-1", endpoint: `http://localhost:${cognitoPort}`, useDummyCredentials: true });
      const client = await running.send(new DescribeUserPoolClientCommand({ UserPoolId: /User pool id:\s+(\S+)/.exec(stdout)![1]!, ClientId: clientId }));
      running.destroy();
      assert.deepEqual([...(client.UserPoolClient?.ExplicitAuthFlows ?? [])].sort(), ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
      // Traced as `npm run serve` is: a request's server span, with its route, reaches the collector.
      const refused = await fetch(`http://localhost:${apiPort}/api/v1/me`);
      assert.equal(refused.status, 401);
      await until(() => receiver.spans.some((s) => s.attributes["http.route"] === "/api/v1/me"), 10_000, "the /me request's span from the dev stack");
      // The API's lines go to the data folder's server.log, in production's shape; the terminal keeps the banner.
      assert.match(stdout, /^ {2}API log: +\S+server\.log /m);
      const logged = () => readFile(path.join(dataDir, "server.log"), "utf8");
      await until(async () => (await logged()).includes('"statusCode":401'), 5000, "the /me request's line in server.log");
      const line = (await logged()).split("\n").find((l) => l.includes('"statusCode":401'))!;
      assert.match(line, /^\{"level":"info","time":"[^"]+Z","service":"vrms-backend"/);
      assert.doesNotMatch(stdout, /^\{/m, "no log line on the terminal");
    } finally {
      dev.kill("SIGINT");
      await exited;
      receiver.close();
    }
  });

  it("--help names --fix and --self-sign-up", async () => {
    const help = await runCli(["--help"], cliEnv);
    assert.match(help.stdout, /provision .*\[--self-sign-up\] \[--fix\]/);
  });
});

describe("the update requests provision sends (AWS resets whatever an update leaves out)", () => {
  it("a client update carries every setting that is not ours as found", () => {
    const input = clientUpdate({
      UserPoolId: "us-west-2_X",
      ClientId: "c",
      ClientName: "backend",
      ClientSecret: "never-sent",
      CallbackURLs: ["https://a.example/admin"],
      RefreshTokenValidity: 12,
      TokenValidityUnits: { AccessToken: "hours", IdToken: "hours", RefreshToken: "hours" },
      ReadAttributes: ["email"],
      AuthSessionValidity: 5,
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
    });
    assert.ok(!("ClientSecret" in input), "UpdateUserPoolClient takes no secret");
    assert.deepEqual(input.CallbackURLs, ["https://a.example/admin"]);
    assert.equal(input.RefreshTokenValidity, 12);
    assert.deepEqual(input.TokenValidityUnits, { AccessToken: "minutes", IdToken: "minutes", RefreshToken: "hours" }, "the refresh unit goes with its validity");
    assert.deepEqual(input.ReadAttributes, ["email"]);
    assert.equal(input.AuthSessionValidity, 5);
    assert.deepEqual(input.ExplicitAuthFlows, ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
    assert.equal(input.PreventUserExistenceErrors, "ENABLED");
    assert.equal(input.EnableTokenRevocation, true);
  });

  it("a pool update carries the pool's settings and leaves out the deprecated UnusedAccountValidityDays", () => {
    const input = poolUpdate(
      {
        Id: "us-west-2_X",
        Name: "vrms",
        MfaConfiguration: "OPTIONAL",
        LambdaConfig: { PreSignUp: "arn:aws:lambda:us-west-2:1:function:f" },
        Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7, InviteMessageTemplate: { EmailSubject: "Hi" } },
        EstimatedNumberOfUsers: 3,
      },
      false,
    );
    assert.equal(input.UserPoolId, "us-west-2_X");
    assert.equal(input.PoolName, "vrms");
    assert.equal(input.MfaConfiguration, "OPTIONAL");
    assert.deepEqual(input.LambdaConfig, { PreSignUp: "arn:aws:lambda:us-west-2:1:function:f" });
    assert.deepEqual(input.Policies, { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } });
    assert.deepEqual(input.AdminCreateUserConfig, { AllowAdminCreateUserOnly: true, InviteMessageTemplate: { EmailSubject: "Hi" } });
    assert.ok(!("EstimatedNumberOfUsers" in input), "only what UpdateUserPool takes");
  });
});
