// /admin in a real browser (Debian's Chromium) against the real emulator's Hosted UI and the real
// server. Screenshots of failures go to test-results/.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { DEMO_USERS, provision, type DemoUser } from "../src/cognito/bootstrap.ts";
import type { Emulator } from "../src/dev/emulator.ts";
import { loadConfig } from "../src/config.ts";
import { startServer, type RunningServer } from "../src/server.ts";
import { launchChromium, requiresChromium } from "./support/browser.ts";
import { pglite, type TestDatabase } from "./support/databases.ts";
import { startTestEmulator, type TestEmulator } from "./support/emulator.ts";
import { freePort } from "../support/net.ts";
import { requestAt } from "./support/server.ts";
import { until } from "./support/wait.ts";
import { WebhookReceiver } from "./support/webhook-receiver.ts";
import { CLI } from "./support/cli.ts";

const member = DEMO_USERS.find((u) => u.username === "member@example.org")!;
const admin = DEMO_USERS.find((u) => u.username === "admin@example.org")!;
// The console's personas beyond the demo pair: a project manager, a practice lead, a newcomer.
const pm: DemoUser = { username: "pm@example.org", password: "Pm-Demo-2026-x", givenName: "Pat", familyName: "Manager", groups: [] };
const lead: DemoUser = { username: "lead@example.org", password: "Lead-Demo-2026-x", givenName: "Lee", familyName: "Lead", groups: [] };
const newbie: DemoUser = { username: "newbie@example.org", password: "Newbie-Demo-2026-x", givenName: "Nia", familyName: "Newcomer", groups: [] };
const third: DemoUser = { username: "third@example.org", password: "Third-Demo-2026-x", givenName: "Theo", familyName: "Third", groups: [] };
const PEOPLE = [...DEMO_USERS, pm, lead, newbie, third];
const AXE = readFile("node_modules/axe-core/axe.min.js", "utf8");

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
    const pool = await provision(lab.cognito, { endpoint: emulator.url, poolName: "vrms-dev", callbackUrl: `${base}/admin`, demoUsers: PEOPLE });
    cognitoEnv = { COGNITO_ENDPOINT: emulator.url, COGNITO_USER_POOL_ID: pool.userPoolId, COGNITO_CLIENT_IDS: pool.clientId, COGNITO_DOMAIN: emulator.url };
    // Webhooks to the test's receiver on 127.0.0.1, as the dev stack allows them.
    const serverEnv = { ...cognitoEnv, HOST: "127.0.0.1", LOG_LEVEL: "silent", WEBHOOK_ALLOW_HTTP_LOOPBACK: "true", WEBHOOK_RETRY_BASE_MS: "50" };
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
    context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
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
    const result = spawnSync(process.execPath, [CLI, "login", "--username", user.username, "--password-stdin", "--access-token-only"], {
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
    assert.equal(await page.locator("nav >> text=People").count(), 0, "no People for members");
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

  test("sign-out leaves no token or draft in sessionStorage, localStorage or the URL, and the API refuses the old one", async () => {
    await signInThroughHostedUi(member);
    await page.waitForSelector("#signed-in:not([hidden]) #f-phone");
    const token = (JSON.parse((await storedTokens()).session!) as { access_token: string }).access_token;
    // Typed, not saved: a draft in sessionStorage, which the next person in this tab must not get.
    await page.fill("#f-phone", "+14155550123");
    assert.ok((await page.evaluate(() => Object.keys(sessionStorage))).some((k) => k.startsWith("vrms.draft.")), "a draft was kept while signed in");
    await page.click("#sign-out");
    await page.waitForSelector("#message:text('Signed out.')");
    const stored = await storedTokens();
    assert.equal(stored.session, null);
    assert.deepEqual((await page.evaluate(() => Object.keys(sessionStorage))).filter((k) => k.startsWith("vrms.draft.")), [], "no draft outlives the sign-out");
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
      issuer: `${emulator.url}/${cognitoEnv.COGNITO_USER_POOL_ID}`,
      client_id: cognitoEnv.COGNITO_CLIENT_IDS,
      redirect_uri: `${base}/admin`,
      scopes: ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
      implicit_grant: false,
      logout_supported: false,
    });
  });

  // ---- the console (issue 23): one walk per persona, axe-core on every view and dialog ----------

  const PROJECT = "Member Portal";
  const axeChecked: string[] = [];

  /** axe-core on the page as it is now: no violation of impact serious or critical. */
  async function axe(label: string): Promise<void> {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern: no bypassCSP needed.
    if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(await AXE);
    const violations = await page.evaluate(async () => {
      const run = (window as unknown as { axe: { run: (node: Document, options: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe.run;
      return (await run(document, { resultTypes: ["violations"] })).violations.map((v) => ({ id: v.id, impact: v.impact, target: v.nodes.map((n) => n.target) }));
    });
    axeChecked.push(label);
    assert.deepEqual(violations.filter((v) => v.impact === "serious" || v.impact === "critical"), [], label);
  }

  async function signedInAs(user: { username: string; password: string }): Promise<void> {
    await signInThroughHostedUi(user);
    await page.waitForSelector("#signed-in:not([hidden]) h1");
  }

  const navLinks = () => page.locator("#nav a").allTextContents();
  async function nav(name: string): Promise<void> {
    await page.locator("#nav a", { hasText: name }).click();
    await page.waitForSelector(`h1:text-is("${name}")`);
  }

  /** Tab (keyboard alone) until `target` has focus. */
  async function tabTo(target: Locator): Promise<void> {
    for (let i = 0; i < 80; i++) {
      if (await target.evaluate((node) => node === document.activeElement)) return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`Tab never reached ${String(target)}`);
  }

  async function apiToken(user: { username: string; password: string }): Promise<string> {
    const res = await requestAt(base, "POST", "/api/v1/auth/login", { body: { username: user.username, password: user.password } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.access_token as string;
  }

  async function addMember(person: string, permission: string): Promise<void> {
    const form = page.locator("#add-member");
    await form.getByLabel("Person").fill(person);
    await form.getByLabel("Permission").selectOption(permission);
    await form.getByRole("button", { name: "Add", exact: true }).click();
  }

  const button = (name: string | RegExp) => page.getByRole("button", { name, exact: typeof name === "string" });
  /** The API's names of permission types in the view's text outside their <code>: people read human names. */
  const apiNamesInText = () =>
    page.evaluate(() => {
      const view = document.getElementById("view")!.cloneNode(true) as HTMLElement;
      for (const code of view.querySelectorAll("code.api-name")) code.remove();
      const text = [view.textContent ?? "", ...[...view.querySelectorAll("[aria-label]")].map((n) => n.getAttribute("aria-label") ?? "")].join(" ");
      return (text.match(/\b(admin|practiceLead|practiceLeadJr|member)(Global|Vrms|Brigade|Project|General)\b/g) ?? []).join(" ");
    });
  const dialog = () => page.getByRole("dialog");

  test("console, administrator: creates a project, adds people by email, a taken name and a grant that exists answered at the field, deactivates a member (confirmed), searches People", async () => {
    // Everyone has signed in once: the console finds people who have.
    for (const user of [member, pm, lead, newbie, third]) assert.equal((await requestAt(base, "GET", "/api/v1/me", { token: await apiToken(user) })).status, 200);
    await signedInAs(admin);
    assert.deepEqual(await navLinks(), ["My profile", "People", "Projects", "Admins", "History", "Services", "Webhooks"]);
    await axe("administrator: My profile");
    await nav("Projects");
    await page.waitForSelector("#no-projects:has-text('No projects yet')");
    await axe("administrator: Projects");
    await button("New project").click();
    await page.getByLabel("Name").fill(PROJECT);
    await page.getByLabel("Description").fill("Where volunteers sign up");
    await button("Create").click();
    await page.waitForSelector(`h1:text-is("${PROJECT}")`);
    // A taken name: the server's words at the Name field, and the name still typed.
    await nav("Projects");
    await button("New project").click();
    await page.getByLabel("Name").fill(PROJECT);
    await button("Create").click();
    await page.waitForSelector("#new-project #e-name:not(:empty)");
    assert.equal(await page.getByLabel("Name").getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("Name").inputValue(), PROJECT);
    // Said once, by the form's alert: the status line does not repeat it (two frames for announce()).
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    assert.equal(await page.textContent("#message"), "", "the refusal is not announced twice");
    await axe("administrator: New project with a taken name");
    await page.getByRole("link", { name: PROJECT }).click();
    await page.waitForSelector(`h1:text-is("${PROJECT}")`);
    await addMember(pm.username, "adminProject");
    await page.waitForSelector(".member:has-text('Pat Manager')");
    await addMember(lead.username, "practiceLeadProject");
    await page.waitForSelector(".member:has-text('Lee Lead')");
    await addMember(member.username, "memberProject");
    await page.waitForSelector(".member:has-text('Max Member')");
    // People's names for the types, the API's beside them for whoever reads the API documentation.
    assert.equal(await page.locator("h3", { hasText: "Project admin" }).locator("code.api-name").textContent(), "adminProject");
    await axe("administrator: a project's page");
    // A grant that exists: the server's message in the form, the person still typed.
    await addMember(member.username, "memberProject");
    await page.waitForSelector("#add-member .form-error:has-text('already holds')");
    assert.equal(await page.locator("#add-member").getByLabel("Person").inputValue(), member.username);
    await button(/^Revoke Project member of Max Member/).click();
    await dialog().waitFor();
    assert.match((await dialog().textContent()) ?? "", /Max Member/);
    await axe("administrator: Revoke dialog");
    await dialog().getByRole("button", { name: "Cancel" }).click();
    // People: search, the person's page, deactivate (confirmed) and reactivate.
    await nav("People");
    await page.getByLabel("Search").fill("member@");
    await page.locator("#search-form").getByRole("button", { name: "Search" }).click();
    await page.waitForSelector("tr.user:has-text('Max Member')");
    await axe("administrator: People");
    await page.getByRole("link", { name: "Max Member" }).click();
    await page.waitForSelector("h1:text-is('Max Member')");
    await axe("administrator: a person's page");
    const memberToken = await apiToken(member);
    const memberMe = () => requestAt(server.url, "GET", "/api/v1/me", { token: memberToken });
    assert.equal((await memberMe()).status, 200);
    await button("Deactivate").click();
    assert.equal(await dialog().getByRole("heading").textContent(), "Deactivate Max Member?");
    // A screen reader hears what is about to happen as the dialog opens: its description says it.
    const described = await dialog().evaluate((d) => (d.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join(" "));
    assert.match(described, /Max Member is refused by every app/);
    await axe("administrator: Deactivate dialog");
    await dialog().getByRole("button", { name: "Deactivate" }).click();
    await button("Reactivate").waitFor();
    await until(async () => (await memberMe()).status === 403, 1100, "the member's next API call to be refused");
    assert.equal((await memberMe()).body.code, "account_disabled");
    await button("Reactivate").click();
    await dialog().getByRole("button", { name: "Reactivate" }).click();
    await button("Deactivate").waitFor();
    await nav("Admins");
    await axe("administrator: Admins");
    await nav("History");
    await page.waitForSelector("tr.history:has-text('Project member')");
    await axe("administrator: History");
    await nav("Services");
    await page.getByLabel("Client id").fill("no-such-service");
    await button("Sign out service").click();
    await axe("administrator: Sign out service dialog");
    await dialog().getByRole("button", { name: "Sign out service" }).click();
    await page.waitForSelector("#e-client_id:has-text('No such service')");
    await axe("administrator: Services with an error");
  });

  test("console, project manager, by keyboard alone: adds a newcomer by email, promotes them to adminProject (who adds a third person), revokes, sees it in History; no control the server would refuse", async () => {
    await signedInAs(pm);
    assert.deepEqual(await navLinks(), ["My profile", "People", "Projects", "History"]);
    await axe("project manager: My profile");
    const press = async (target: Locator) => {
      await tabTo(target);
      await page.keyboard.press("Enter");
    };
    await press(page.locator("#nav a", { hasText: "Projects" }));
    await page.waitForSelector("h1:text-is('Projects')");
    assert.equal(await button("New project").count(), 0);
    await press(page.getByRole("link", { name: PROJECT }));
    await page.waitForSelector(`h1:text-is("${PROJECT}")`);
    assert.equal(await button("Delete project").count(), 0, "no Delete project for a project manager");
    assert.equal(await button(/^Revoke Project admin/).count(), 0, "no Revoke of a fellow adminProject");
    const form = page.locator("#add-member");
    assert.deepEqual(await form.getByLabel("Permission").locator("option").allTextContents(), ["Project admin", "Practice area lead", "Junior practice area lead", "Project member"]);
    assert.equal(await apiNamesInText(), "", "no API name of a type outside its <code>");
    await axe("project manager: a project's page");
    await tabTo(form.getByLabel("Person"));
    await page.keyboard.type(newbie.username);
    await press(form.getByRole("button", { name: "Add", exact: true }));
    await page.waitForSelector(".member:has-text('Nia Newcomer')");
    // Promote: the same person, adminProject chosen from the list by keyboard.
    await tabTo(form.getByLabel("Person"));
    await page.keyboard.type(newbie.username);
    await tabTo(form.getByLabel("Permission"));
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowUp");
    assert.equal(await form.getByLabel("Permission").inputValue(), "adminProject");
    await press(form.getByRole("button", { name: "Add", exact: true }));
    await page.waitForSelector("h3:has-text('Project admin'):has-text('(2)')");
    // The new project manager adds a third person (their own call, by email).
    const projectUuid = page.url().split("/").pop()!;
    const added = await requestAt(base, "POST", "/api/v1/user-permissions", { token: await apiToken(newbie), body: { email: third.username, permission_type: "memberProject", project: projectUuid } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(await button(/^Revoke Project admin of Nia Newcomer/).count(), 0, "revoking a fellow adminProject stays with the global admin types");
    await press(button(/^Revoke Project member of Nia Newcomer/));
    await dialog().waitFor();
    await axe("project manager: Revoke dialog");
    await press(dialog().getByRole("button", { name: "Revoke" }));
    await dialog().waitFor({ state: "detached" });
    // The members list is drawn again after the revoke: wait for it rather than read it at once (a race).
    await page.locator("h3:has-text('Project member') + ul .member:has-text('Nia Newcomer')").waitFor({ state: "detached" });
    // The redrawn page does not drop keyboard focus to <body> (the top of the page): its heading has it.
    await page.waitForFunction(() => document.activeElement?.tagName === "H1", undefined, { timeout: 3000 });
    await page.waitForSelector("h3:has-text('Project member')");
    assert.match((await page.textContent("#message")) ?? "", /Revoked Project member from Nia Newcomer/);
    await press(page.locator("#nav a", { hasText: "History" }));
    await page.waitForSelector("tr.history:has-text('revoked')");
    assert.equal(await page.textContent("#message"), "", "the last view's news does not follow to History");
    assert.equal(await apiNamesInText(), "", "History names the types for people too");
    await axe("project manager: History");
    await press(page.locator("#nav a", { hasText: "People" }));
    await page.waitForSelector("tr.user:has-text('Theo Third')");
    await axe("project manager: People");
    // A place not offered is not drawn either.
    await page.goto(`${base}/admin#/admins`);
    await page.waitForSelector("h1:text-is('My profile')");
  });

  test("console, practice lead: Add member offers only the types below theirs; no edit, delete, or revoke of higher grants", async () => {
    await signedInAs(lead);
    assert.deepEqual(await navLinks(), ["My profile", "People", "Projects", "History"]);
    await nav("Projects");
    await page.getByRole("link", { name: PROJECT }).click();
    await page.waitForSelector(`h1:text-is("${PROJECT}")`);
    assert.deepEqual(await page.locator("#add-member").getByLabel("Permission").locator("option").allTextContents(), ["Junior practice area lead", "Project member"]);
    assert.equal(await page.locator("h2:text-is('Edit project')").count(), 0);
    assert.equal(await button("Delete project").count(), 0);
    assert.equal(await button(/^Revoke Project admin/).count(), 0);
    assert.equal(await button(/^Revoke Project member of Max Member/).count(), 1);
    await axe("practice lead: a project's page");
    await nav("People");
    await page.waitForSelector("tr.user:has-text('Max Member')");
    await axe("practice lead: People");
    await nav("History");
    await axe("practice lead: History");
  });

  test("console, member: their profile and projects only; an expired session mid-edit keeps what was typed", async () => {
    await page.goto(`${base}/admin`);
    await page.waitForSelector("#signed-out:not([hidden])");
    await axe("signed out");
    await signedInAs(member);
    assert.deepEqual(await navLinks(), ["My profile", "Projects", "History"]);
    await nav("Projects");
    await page.getByRole("link", { name: PROJECT }).click();
    await page.waitForSelector("h2:text-is('Members')");
    for (const absent of ["Add member", "Delete project"]) assert.equal(await page.locator(`h2:text-is('${absent}'), button:text-is('${absent}')`).count(), 0, absent);
    assert.equal(await button(/^Revoke/).count(), 0);
    await axe("member: a project's page");
    // Webhooks are not drawn for a member, even by their address.
    await page.goto(`${base}/admin#/webhooks`);
    await page.waitForSelector("h1:text-is('My profile')");
    await nav("My profile");
    await page.fill("#f-target_job_title", "Mentor");
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem("vrms.session")!) as { access_token: string };
      sessionStorage.setItem("vrms.session", JSON.stringify({ ...session, access_token: "expired" }));
    });
    await page.click("#save");
    await page.waitForSelector("#expired:not([hidden])");
    assert.equal(await page.inputValue("#f-target_job_title"), "Mentor");
    await axe("member: session expired mid-edit");
    await button("Sign in again").click();
    await page.fill("input[name=username]", member.username);
    await page.fill("input[name=password]", member.password);
    await page.click("button[type=submit]");
    await page.waitForSelector("#signed-in:not([hidden]) h1:text-is('My profile')");
    assert.equal(await page.inputValue("#f-target_job_title"), "Mentor", "what was typed came back");
    await page.click("#save");
    await page.waitForSelector("#saved:text('Saved.')");
    // The network fails mid-edit: the form says so where the server's words would go, and keeps what was typed.
    await page.route("**/api/v1/me", (route) => (route.request().method() === "PATCH" ? route.abort("internetdisconnected") : route.continue()));
    await page.fill("#f-target_job_title", "Mentor and reviewer");
    await page.click("#save");
    await page.waitForSelector("#profile-form .form-error:has-text('could not be reached')");
    assert.equal(await page.inputValue("#f-target_job_title"), "Mentor and reviewer");
    await page.unroute("**/api/v1/me");
    await page.setViewportSize({ width: 375, height: 800 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 375), true, "no horizontal scrolling at 375 px");
    // Nor with a long address (no spaces to wrap at) where the page names the person.
    const long = "firstname.lastname.volunteercoordinator@hackforlaexample.org";
    assert.equal(
      await page.evaluate((email) => {
        const slots = [document.getElementById("who")!, document.querySelector("#view h1 + p")!];
        const before = slots.map((slot) => slot.textContent);
        slots.forEach((slot) => (slot.textContent = email));
        const fits = document.documentElement.scrollWidth <= 375;
        slots.forEach((slot, i) => (slot.textContent = before[i]!));
        return fits;
      }, long),
      true,
      "a long email does not widen the page at 375 px",
    );
    await axe("member: My profile at 375 px");
    // Dark, with reduced motion (which also stops the colours' transition under axe's measure).
    await page.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
    await axe("member: My profile at 375 px, dark");
    // The network fails as the page loads: it says so, and the session survives for a reload.
    await page.route("**/api/v1/me", (route) => route.abort("internetdisconnected"));
    await page.reload();
    await page.waitForSelector("#message:has-text('could not be reached')");
    assert.notEqual((await storedTokens()).session, null, "a network failure is no sign-out");
    await page.unroute("**/api/v1/me");
    await page.reload();
    await page.waitForSelector("#signed-in:not([hidden]) h1:text-is('My profile')");
    // Last: it ends every session of the member's (POST /api/v1/me/sign-out).
    const token = (JSON.parse((await storedTokens()).session!) as { access_token: string }).access_token;
    await button("Sign out everywhere").click();
    await axe("member: Sign out everywhere dialog");
    await dialog().getByRole("button", { name: "Sign out everywhere" }).click();
    await page.waitForSelector("#message:text('Signed out everywhere.')");
    assert.equal((await storedTokens()).session, null);
    assert.equal((await requestAt(server.url, "GET", "/api/v1/me", { token })).status, 401, "the API refuses the member's token");
    assert.ok(axeChecked.length >= 20, `axe ran on ${axeChecked.length} views and dialogs`);
  });

  test("console, administrator: webhooks to a real receiver; the secret shown once; an event verified; replay, rotate, disable, delete; hostile text stays text", async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
      await signedInAs(admin);
      await nav("Webhooks");
      await page.waitForSelector("#no-webhooks");
      await axe("administrator: Webhooks, none yet");
      await button("New webhook").click();
      const form = page.locator("#new-webhook");
      // An address inside the server's network: the server's reason at the URL field, what was typed kept.
      await form.getByLabel("URL").fill("http://169.254.169.254/latest/meta-data");
      await form.getByLabel("project.created").check();
      await button("Create").click();
      await page.waitForSelector("#new-webhook #e-url:not(:empty)");
      assert.equal(await form.getByLabel("URL").getAttribute("aria-invalid"), "true");
      assert.equal(await form.getByLabel("project.created").isChecked(), true);
      await axe("administrator: New webhook with an unsafe URL");
      await form.getByLabel("URL").fill(receiver.url);
      await form.getByLabel("project.updated").check();
      await form.getByLabel("Description").fill(`<img src=x onerror="window.pwned=1">Onboarding sheet`);
      // A double tap creates one webhook (two would each deliver every event, one secret never seen).
      let creates = 0;
      page.on("request", (r) => void (r.method() === "POST" && r.url().endsWith("/api/v1/webhooks") && creates++));
      await button("Create").dblclick();
      await dialog().waitFor();
      assert.equal(creates, 1, "one webhook for a double tap");
      const secret = await dialog().getByLabel("Signing secret").inputValue();
      assert.match(secret, /^whsec_/);
      assert.match((await dialog().textContent()) ?? "", /Copy it now: it will not be shown again\..*Lost it\? Rotate secret/);
      await axe("administrator: the new webhook's secret");
      // On a phone: the dialog, its secret and its buttons fit the screen; the list behind scrolls in its own box.
      await page.setViewportSize({ width: 375, height: 700 });
      assert.deepEqual(
        await page.evaluate(() => [document.documentElement.scrollWidth <= 375, ...[...document.querySelectorAll("dialog, dialog input, dialog button")].map((e) => e.getBoundingClientRect().right <= 375)]),
        [true, true, true, true, true],
      );
      await page.setViewportSize({ width: 1024, height: 800 });
      await dialog().getByRole("button", { name: "Copy" }).click();
      await dialog().getByText("Copied.").waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
      await dialog().getByRole("button", { name: "Done" }).click();
      // Gone from the document, not only closed (a closed <dialog> has no role: getByRole would not wait for its removal).
      await page.locator("dialog").waitFor({ state: "detached" });
      // The focus goes back to where the keyboard was: the new webhook's row, not the top of the page.
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), receiver.url);
      receiver.secrets.push(secret);
      /** Whether a secret is anywhere the page keeps things: markup, fields' values (not in the markup), storage, the address. */
      const leftAnywhere = (shown: string) =>
        page.evaluate(
          (s) =>
            [
              document.documentElement.outerHTML,
              ...[...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea")].map((i) => i.value),
              JSON.stringify({ ...sessionStorage }),
              JSON.stringify({ ...localStorage }),
              location.href,
            ].some((t) => t.includes(s)),
          shown,
        );
      assert.equal(await leftAnywhere(secret), false, "the secret is in neither the DOM, storage nor the address once the dialog is closed");
      // The description is the subscriber's text: shown as text, never run.
      await page.waitForSelector("tr.webhook:has-text('<img src=x')");
      assert.equal(await page.locator("#view img").count(), 0);
      assert.equal(await page.evaluate(() => "pwned" in window), false);
      await page.getByRole("link", { name: receiver.url }).click();
      await page.waitForSelector("h1:text-is('Webhook')");
      // A change emits an event; the receiver verifies it with standardwebhooks.
      const token = await apiToken(admin);
      const project = (await requestAt(base, "POST", "/api/v1/projects", { token, body: { name: "Webhook Watchers" } })).body.uuid as string;
      await receiver.waitFor("project.created", project, 10_000);
      assert.equal(receiver.unverified, 0);
      await page.reload();
      await page.waitForSelector("tr.delivery.delivered:has-text('project.created')");
      await axe("administrator: a webhook's page");
      await page.setViewportSize({ width: 375, height: 800 });
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 375), true, "no horizontal scrolling at 375 px");
      await page.setViewportSize({ width: 1024, height: 800 });
      // A double tap (a phone, an impatient mouse) replays once: the button is disabled at the first.
      let replays = 0;
      page.on("request", (r) => void (r.method() === "POST" && r.url().endsWith("/replay") && replays++));
      await button(/^Replay project\.created/).dblclick();
      await until(() => receiver.of("project.created", project).length === 2, 10_000, "the replayed delivery");
      await page.waitForSelector("#message:has-text('Replaying project.created')");
      assert.equal(replays, 1, "one replay for a double tap");
      // The view drawn again: the keyboard goes on from its heading, not from the top of the page.
      await page.waitForFunction(() => document.activeElement?.tagName === "H1");
      // Rotate: the new secret shown once; the receiver verifies with it alone.
      await button("Rotate secret").click();
      assert.match((await dialog().textContent()) ?? "", /keeps signing too for 24 hours/);
      await axe("administrator: Rotate secret dialog");
      // The page's redraw after the rotation held back (a slow network): the secret dialog, closed at
      // once, must give the focus to a Rotate secret button that stays, not one the redraw removes.
      const pageRead = /\/api\/v1\/webhooks\/[0-9a-f-]{36}$/;
      await page.route(pageRead, async (route) => {
        if (route.request().method() === "GET") await new Promise((resolve) => setTimeout(resolve, 300));
        await route.continue();
      });
      await dialog().getByRole("button", { name: "Rotate secret" }).click();
      await page.getByRole("dialog", { name: "The webhook's new signing secret" }).waitFor();
      const rotated = await dialog().getByLabel("Signing secret").inputValue();
      assert.ok(rotated.startsWith("whsec_") && rotated !== secret);
      await page.keyboard.press("Escape");
      await page.locator("dialog").waitFor({ state: "detached" });
      assert.equal(await leftAnywhere(rotated), false, "closed by Escape: gone too");
      await new Promise((resolve) => setTimeout(resolve, 400)); // past any redraw still under way
      await page.unroute(pageRead);
      assert.equal(await page.evaluate(() => document.activeElement?.id), "rotate-secret", "the focus back on Rotate secret");
      // Leaving the page (to another site: the back/forward cache may keep it) closes the dialog too.
      await button("Rotate secret").click();
      await dialog().getByRole("button", { name: "Rotate secret" }).click();
      await page.getByRole("dialog", { name: "The webhook's new signing secret" }).waitFor();
      const again = await dialog().getByLabel("Signing secret").inputValue();
      await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: true })));
      await page.locator("dialog").waitFor({ state: "detached" });
      assert.equal(await leftAnywhere(again), false, "gone when the page is left");
      await page.waitForSelector("dd:has-text('still signs too until')");
      receiver.secrets.splice(0, receiver.secrets.length, rotated);
      assert.equal((await requestAt(base, "PATCH", `/api/v1/projects/${project}`, { token, body: { description: "Renamed" } })).status, 200);
      await receiver.waitFor("project.updated", project, 10_000);
      assert.equal(receiver.unverified, 0);
      // Disabled: no more deliveries.
      const edit = page.locator("form[id^=edit-]");
      await edit.getByLabel("Enabled", { exact: true }).uncheck();
      await edit.getByRole("button", { name: "Save" }).click();
      await page.waitForSelector("dd:text-is('Disabled')");
      await requestAt(base, "PATCH", `/api/v1/projects/${project}`, { token, body: { description: "Unheard" } });
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.equal(receiver.of("project.updated", project).length, 1, "nothing delivered while disabled");
      await button("Delete webhook").click();
      assert.ok(((await dialog().textContent()) ?? "").includes(`Deliveries to ${receiver.url} stop`), "the dialog names the URL");
      await axe("administrator: Delete webhook dialog");
      await dialog().getByRole("button", { name: "Delete webhook" }).click();
      await page.waitForSelector("#no-webhooks");
      assert.deepEqual((await requestAt(base, "GET", "/api/v1/webhooks", { token })).body, []);
      // A receiver nobody answers for: the list says since when its deliveries fail.
      const dead = (await requestAt(base, "POST", "/api/v1/webhooks", { token, body: { url: `http://127.0.0.1:${await freePort()}/hook`, events: ["project.updated"] } })).body.uuid as string;
      await requestAt(base, "PATCH", `/api/v1/projects/${project}`, { token, body: { description: "Knock knock" } });
      await until(async () => (await requestAt(base, "GET", `/api/v1/webhooks/${dead}`, { token })).body.failing_since !== null, 5000, "a failed attempt");
      await page.reload();
      await page.waitForSelector("tr.webhook:has-text('Enabled, deliveries failing since')");
      await requestAt(base, "DELETE", `/api/v1/webhooks/${dead}`, { token });
    } finally {
      await receiver.stop();
    }
  });

  test("a token refresh that fails on the network keeps the session, says so and retries; only a refused one signs out", async () => {
    await page.clock.install();
    await signedInAs(member);
    const first = JSON.parse((await storedTokens()).session!) as { access_token: string };
    // The first renewal: no network; the second: a 503 from the sign-in server; then it answers.
    let renewals = 0;
    await page.route(`${emulator.url}/oauth2/token`, async (route) => {
      if (!route.request().postData()?.includes("refresh_token")) return route.continue();
      renewals++;
      if (renewals === 1) return route.abort("internetdisconnected");
      if (renewals === 2) return route.fulfill({ status: 503, contentType: "text/html", body: "<h1>Service Unavailable</h1>" });
      return route.continue();
    });
    await page.clock.fastForward("59:30");
    await page.waitForSelector("#connection:has-text(\"Can't reach the server\")");
    assert.equal(await page.getAttribute("#connection", "role"), "status", "said to screen readers");
    assert.notEqual((await storedTokens()).session, null, "a network failure is no sign-out");
    assert.equal(await page.isVisible("#signed-in"), true);
    await axe("member: renewal retrying");
    await page.clock.fastForward(2_100);
    await until(() => renewals === 2, 5000, "the first retry");
    assert.notEqual((await storedTokens()).session, null, "a 5xx is no sign-out either");
    const renewed = page.waitForResponse((r) => r.url().startsWith(`${emulator.url}/oauth2/token`) && r.status() === 200);
    await page.clock.fastForward(4_100);
    await renewed;
    await page.waitForFunction((old) => JSON.parse(sessionStorage.getItem("vrms.session") ?? "{}").access_token !== old, first.access_token);
    await page.waitForFunction(() => document.getElementById("connection")!.textContent === "");
    await page.waitForSelector("#message:has-text('Connected again')");
    // A refused renewal (the refresh token revoked) ends the session.
    await page.unroute(`${emulator.url}/oauth2/token`);
    await page.route(`${emulator.url}/oauth2/token`, (route) =>
      route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ error: "invalid_grant", error_description: "Refresh Token has been revoked" }) }),
    );
    await page.clock.fastForward("59:30");
    await page.waitForSelector("#signed-out:not([hidden])");
    assert.equal((await storedTokens()).session, null);
  });

  test("a sign-in server that is slow or answers expires_in: 0 gets no storm of renewals", async () => {
    await page.clock.install();
    await signedInAs(member);
    const { access_token } = JSON.parse((await storedTokens()).session!) as { access_token: string };
    // The first renewal: no network (the page then retries, and retries at once when back online);
    // each one after: a second's wait, then a token already due for renewal.
    let renewals = 0;
    await page.route(`${emulator.url}/oauth2/token`, async (route) => {
      if (!route.request().postData()?.includes("refresh_token")) return route.continue();
      renewals++;
      if (renewals === 1) return route.abort("internetdisconnected");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ access_token, token_type: "Bearer", expires_in: 0 }) }).catch(() => {});
    });
    await page.clock.fastForward("59:30");
    await page.waitForSelector("#connection:has-text(\"Can't reach the server\")");
    // Back online, five times over, while the renewal that follows is still waiting for its answer.
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await until(() => renewals === 2, 5000, "the renewal when back online");
    await page.evaluate(() => {
      for (let i = 0; i < 5; i++) window.dispatchEvent(new Event("online"));
    });
    await page.waitForSelector("#message:has-text('Connected again')");
    // Renewed with a token that is already due: asked again, but not at once and not in a loop.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(renewals, 2, `${renewals} renewals: one at a time, and none straight after a token with no lifetime`);
    await page.clock.fastForward(10_000);
    await until(() => renewals === 3, 5000, "the next renewal, 10 s on");
  });

  test("a sign-in server that never answers a renewal is given up on and tried again", async () => {
    await page.clock.install();
    await signedInAs(member);
    // The first renewal: held for ever; the next: answered.
    let renewals = 0;
    await page.route(`${emulator.url}/oauth2/token`, async (route) => {
      if (!route.request().postData()?.includes("refresh_token")) return route.continue();
      if (++renewals === 1) return;
      return route.continue();
    });
    await page.clock.fastForward("59:30");
    await until(() => renewals === 1, 5000, "the renewal");
    await page.clock.fastForward(15_000);
    await page.waitForSelector("#connection:has-text(\"Can't reach the server\")");
    await page.clock.fastForward(2_100);
    await page.waitForSelector("#message:has-text('Connected again')");
    assert.equal(renewals, 2);
  });
});
