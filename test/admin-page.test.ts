// /admin in a real browser (Debian's Chromium) against the real emulator's Hosted UI and the real
// server. Screenshots of failures go to test-results/.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DEMO_USERS, provision } from "../src/cognito/bootstrap.ts";
import type { Emulator } from "../src/dev/emulator.ts";
import { loadConfig } from "../src/config.ts";
import { startServer, type RunningServer } from "../src/server.ts";
import { launchChromium, requiresChromium } from "./support/browser.ts";
import { pglite, type TestDatabase } from "./support/databases.ts";
import { startTestEmulator, type TestEmulator } from "./support/emulator.ts";
import { freePort } from "../support/net.ts";
import { requestAt } from "./support/server.ts";
import { until } from "./support/wait.ts";

const member = DEMO_USERS.find((u) => u.username === "member@example.org")!;
const admin = DEMO_USERS.find((u) => u.username === "admin@example.org")!;

describe("the /admin page in Chromium", requiresChromium(), () => {
  let lab: TestEmulator | undefined;
  const databases: TestDatabase[] = [];
  let dir: string;
  let emulator: Emulator;
  let server: RunningServer;
  let implicitServer: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let implicitBase: string;
  let cognitoEnv: Record<string, string>;

  before(async () => {
    lab = await startTestEmulator("admin", process.env);
    ({ dir, emulator } = lab);
    const [port, implicitPort] = [await freePort(), await freePort()];
    base = `http://localhost:${port}`;
    implicitBase = `http://localhost:${implicitPort}`;
    const pool = await provision(lab.cognito, { endpoint: emulator.url, poolName: "vrms-dev", callbackUrl: `${base}/admin`, demoUsers: DEMO_USERS });
    cognitoEnv = { COGNITO_ENDPOINT: emulator.url, COGNITO_USER_POOL_ID: pool.userPoolId, COGNITO_CLIENT_IDS: pool.clientId, COGNITO_DOMAIN: emulator.url };
    const serverEnv = { ...cognitoEnv, HOST: "127.0.0.1", LOG_LEVEL: "silent" };
    // Each on a copy of the migrated PGlite template (initdb and the migrations cost seconds).
    databases.push(await pglite.create(), await pglite.create());
    server = await startServer(loadConfig({ ...serverEnv, PORT: String(port), ...databases[0]!.env }));
    implicitServer = await startServer(loadConfig({ ...serverEnv, PORT: String(implicitPort), ...databases[1]!.env, COGNITO_IMPLICIT_GRANT: "true" }));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await implicitServer?.close();
    await server?.close();
    await lab?.stop();
    for (const database of databases) await database.drop();
  });

  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });

  afterEach(async () => {
    await context.close();
  });

  /** A browser test whose failure leaves a picture of what the page showed in test-results/. */
  const test = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        await mkdir("test-results", { recursive: true });
        await page.screenshot({ path: `test-results/${name.replace(/\W+/g, "-").slice(0, 80)}.png`, fullPage: true }).catch(() => {});
        throw err;
      }
    });

  async function signInThroughHostedUi(user: { username: string; password: string }, appBase = base): Promise<void> {
    await page.goto(`${appBase}/admin`);
    await page.click("#sign-in");
    await page.waitForURL(new RegExp(`^${emulator.url}/oauth2/authorize`));
    await page.fill("input[name=username]", user.username);
    await page.fill("input[name=password]", user.password);
    await page.click("button[type=submit]");
  }

  const storedTokens = () =>
    page.evaluate(() => ({
      session: sessionStorage.getItem("vrms.session"),
      local: JSON.stringify(Object.keys(localStorage)),
      url: location.href,
    }));

  function tokenFromCli(user: { username: string; password: string }): string {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "login", "--username", user.username, "--password-stdin", "--access-token-only"], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...cognitoEnv },
      input: `${user.password}\n`,
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.trim();
  }

  test("signs a member in through the Hosted UI; an edit survives a reload", async () => {
    await signInThroughHostedUi(member);
    await page.waitForSelector("#signed-in:not([hidden])");
    assert.equal(new URL(page.url()).search, "", "no code or state left in the address bar");
    assert.equal(await page.textContent("#who"), member.username);
    assert.equal(await page.isVisible("#admin"), false, "no users table for members");
    await page.fill("#f-current_job_title", "Volunteer coordinator");
    await page.fill("#f-phone", "0415 555 2671");
    await page.click("#save");
    await page.waitForSelector("#e-phone:text('E.164')");
    await page.fill("#f-phone", "+14155552671");
    await page.click("#save");
    await page.waitForSelector("#saved:text('Saved.')");
    await page.reload();
    await page.waitForSelector("#signed-in:not([hidden])");
    assert.equal(await page.inputValue("#f-current_job_title"), "Volunteer coordinator");
    assert.equal(await page.inputValue("#f-phone"), "+14155552671");
    const stored = await storedTokens();
    assert.ok(stored.session, "tokens are in sessionStorage");
    assert.equal(stored.local, "[]", "nothing in localStorage");
  });

  test("a wrong password shows the Hosted UI's error and stores no token", async () => {
    await signInThroughHostedUi({ username: member.username, password: "wrong-password" });
    await page.waitForSelector("text=Incorrect username or password.");
    await page.goto(`${base}/admin`);
    await page.waitForSelector("#signed-out:not([hidden])");
    assert.equal((await storedTokens()).session, null);
  });

  test("refuses a response whose state does not match the sign-in it started", async () => {
    await page.goto(`${base}/admin`);
    await page.click("#sign-in");
    await page.waitForURL(new RegExp(`^${emulator.url}/oauth2/authorize`));
    await page.fill("input[name=username]", member.username);
    await page.fill("input[name=password]", member.password);
    await page.evaluate(() => {
      (document.querySelector("input[name=state]") as HTMLInputElement).value = "tampered";
    });
    await page.click("button[type=submit]");
    await page.waitForSelector("#message:text('does not match')");
    const stored = await storedTokens();
    assert.equal(stored.session, null);
    assert.equal(new URL(stored.url).search, "");
  });

  test("implicit grant: a matching #access_token is taken and removed from the URL and history", async () => {
    let state = "";
    await page.route(`${emulator.url}/oauth2/authorize**`, async (route) => {
      const url = new URL(route.request().url());
      assert.equal(url.searchParams.get("response_type"), "token");
      state = url.searchParams.get("state") ?? "";
      await route.fulfill({ status: 200, contentType: "text/html", body: "<p>Hosted UI</p>" });
    });
    await page.goto(`${implicitBase}/admin`);
    await page.click("#sign-in");
    await page.waitForURL(/oauth2\/authorize/);
    assert.ok(state.length > 20);
    const token = tokenFromCli(member);
    await page.goto(`${implicitBase}/admin#access_token=${token}&token_type=Bearer&expires_in=3600&state=${state}`);
    await page.waitForSelector("#signed-in:not([hidden])");
    assert.equal(await page.textContent("#who"), member.username);
    const url = await page.evaluate(() => location.href);
    assert.ok(!url.includes("#") && !url.includes(token), "no token in the URL");
    await page.goBack().catch(() => {});
    assert.ok(!page.url().includes(token), "no token in the history");
  });

  test("an administrator deactivates a member, whose next API call gets 403", async () => {
    const memberToken = tokenFromCli(member);
    const memberMe = () => requestAt(server.url, "GET", "/api/v1/me", { token: memberToken });
    assert.equal((await memberMe()).status, 200);
    await signInThroughHostedUi(admin);
    await page.waitForSelector("#admin:not([hidden])");
    await page.fill("#search", "member@");
    await page.click("#search-form button");
    const row = page.locator("tr.user", { hasText: member.username });
    await row.locator("button.toggle:text('Deactivate')").click();
    await page.waitForSelector(`tr.user:has-text('${member.username}') >> text=deactivated`);
    // Within the profile cache's second (the server's clock: it runs in this process).
    await until(async () => (await memberMe()).status === 403, 1100, "the member's next API call to be refused");
    assert.equal((await memberMe()).body.code, "account_disabled");
    await row.locator("button.toggle:text('Activate')").click();
    await page.waitForSelector(`tr.user:has-text('${member.username}') >> text=active`);
  });

  test("refreshes the tokens shortly before they expire (clock fast-forwarded)", async () => {
    await page.clock.install();
    await signInThroughHostedUi(admin);
    await page.waitForSelector("#signed-in:not([hidden])");
    const first = JSON.parse((await storedTokens()).session!) as { access_token: string; expires_at: number };
    const refreshed = page.waitForResponse((r) => r.url().startsWith(`${emulator.url}/oauth2/token`) && r.request().postData()?.includes("refresh_token") === true);
    await page.clock.fastForward("59:30");
    assert.equal((await refreshed).status(), 200);
    await page.waitForFunction((old) => JSON.parse(sessionStorage.getItem("vrms.session") ?? "{}").access_token !== old, first.access_token);
    const second = JSON.parse((await storedTokens()).session!) as { expires_at: number };
    assert.ok(second.expires_at > first.expires_at, "a later expiry");
    assert.equal(await page.isVisible("#signed-in"), true);
  });

  test("sign-out leaves no token in sessionStorage, localStorage or the URL, and the API refuses the old one", async () => {
    await signInThroughHostedUi(member);
    await page.waitForSelector("#signed-in:not([hidden])");
    const token = (JSON.parse((await storedTokens()).session!) as { access_token: string }).access_token;
    await page.click("#sign-out");
    await page.waitForSelector("#message:text('Signed out.')");
    const stored = await storedTokens();
    assert.equal(stored.session, null);
    assert.equal(stored.local, "[]");
    assert.ok(!stored.url.includes(token));
    assert.equal((await requestAt(server.url, "GET", "/api/v1/me", { token })).status, 401);
  });

  test("serves the page with a CSP that allows the Hosted UI's origin for fetches and nothing else outside", async () => {
    const res = await requestAt(base, "GET", "/admin");
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, new RegExp(`connect-src 'self' ${emulator.url}`));
    assert.ok(!csp.includes("upgrade-insecure-requests"), "plain-http PUBLIC_URL: no upgrade");
    const config = (await requestAt(base, "GET", "/admin/config.json")).body;
    assert.deepEqual(config, {
      cognito_domain: emulator.url,
      client_id: cognitoEnv.COGNITO_CLIENT_IDS,
      redirect_uri: `${base}/admin`,
      scopes: ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
      implicit_grant: false,
      logout_supported: false,
    });
  });
});
