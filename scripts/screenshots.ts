// npm run screenshots: the console's main views for an administrator and a member, written to
// docs/screenshots/*.png, from the dev stack as npm start assembles it (in a temporary folder) and
// Debian's Chromium. The README shows them.
import { mkdir } from "node:fs/promises";
import type { Page } from "playwright-core";
import { DEMO_USERS } from "../src/cognito/bootstrap.ts";
import { launchChromium } from "../test/support/browser.ts";
import { startDevStack } from "../test/support/dev-stack.ts";
import { requestAt } from "../test/support/server.ts";

const OUT = "docs/screenshots";
const [admin, member] = [DEMO_USERS.find((u) => u.groups.includes("admin"))!, DEMO_USERS.find((u) => !u.groups.includes("admin"))!];

const stack = await startDevStack("screenshots");
const browser = await launchChromium();
try {
  const base = stack.server.url.replace("127.0.0.1", "localhost");
  const token = async (user: { username: string; password: string }) =>
    (await requestAt(base, "POST", "/api/v1/auth/login", { body: { username: user.username, password: user.password } })).body.access_token as string;
  // A project with the member in it, made through the API as the console would.
  const adminToken = await token(admin);
  await requestAt(base, "GET", "/api/v1/me", { token: adminToken });
  await requestAt(base, "GET", "/api/v1/me", { token: await token(member) });
  const project = (await requestAt(base, "POST", "/api/v1/projects", { token: adminToken, body: { name: "Member Portal", description: "Where volunteers sign up" } })).body.uuid as string;
  await requestAt(base, "POST", "/api/v1/user-permissions", { token: adminToken, body: { email: member.username, permission_type: "memberProject", project } });
  await mkdir(OUT, { recursive: true });

  const shoot = async (page: Page, hash: string, name: string) => {
    await page.goto(`${base}/admin${hash}`);
    await page.waitForSelector("#signed-in:not([hidden]) h1");
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });
    console.log(`wrote ${OUT}/${name}.png`);
  };
  for (const [who, user, views] of [
    ["administrator", admin, [["", "profile"], ["#/people", "people"], [`#/projects/${project}`, "project"], ["#/admins", "admins"], ["#/history", "history"]]],
    ["member", member, [["", "profile"], [`#/projects/${project}`, "project"]]],
  ] as const) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, colorScheme: "light" });
    const page = await context.newPage();
    await page.goto(`${base}/admin`);
    await page.click("#sign-in");
    await page.fill("input[name=username]", user.username);
    await page.fill("input[name=password]", user.password);
    await page.click("button[type=submit]");
    await page.waitForSelector("#signed-in:not([hidden]) h1");
    for (const [hash, view] of views) await shoot(page, hash, `${who}-${view}`);
    await context.close();
  }
} finally {
  await browser.close();
  await stack.stop();
}
