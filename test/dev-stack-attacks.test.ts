// Attacks on `npm start` from web pages the developer visits (attacker review, issue 29): a page
// whose DNS name is rebound to 127.0.0.1 calls the dev API with the demo users' printed passwords.
// Each test fails on the code before its fix.
import assert from "node:assert/strict";
import { request, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { DEMO_USERS } from "../src/cognito/bootstrap.ts";
import { ConfigError } from "../src/config.ts";
import { devApiConfig } from "../src/dev-api-config.ts";
import { startDevStack, type DevStack } from "./support/dev-stack.ts";
import { issuerAndServer } from "./support/server.ts";

const admin = DEMO_USERS.find((u) => u.groups.includes("admin"))!;

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
});
