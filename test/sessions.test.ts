// Sign-in, refresh and sign-out through the backend, and revocation every instance honours.
// Cognito here is the test issuer's fake (the emulator lacks challenges through AdminInitiateAuth,
// GlobalSignOut and AdminUserGlobalSignOut): every test that relies on it says "fake Cognito".
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DATABASE_KINDS, postgres, requires } from "./support/databases.ts";
import { claimsOf, TestIssuer } from "../support/issuer.ts";
import { issuerAndServer, issuerForDescribe, serverForDescribe, startTestServer, type Json, type TestServer } from "./support/server.ts";
import { freePort } from "../support/net.ts";
import { TcpProxy } from "./support/tcp-proxy.ts";
import { sleep, sleepUntil, until } from "./support/wait.ts";

/**
 * An `exp` for a token about to expire: the next whole second. With the servers' one-second skew
 * the token stays valid for more than a second, time enough to sign out with it.
 */
const soon = () => Math.floor(Date.now() / 1000) + 1;

/**
 * When a token with `exp` is past it plus the servers' one-second skew, with 500 ms to spare for
 * their 200 ms reloads. The servers' clock: they run in this process, so mocked timers would stop
 * them too.
 */
const pastExpiry = (exp: number) => (exp + 1) * 1000 + 500;

/** Two access tokens of one session (origin_jti): one about to expire, and one refreshed later. */
function sessionAboutToExpire(issuer: TestIssuer): { exp: number; shortLived: string; refreshedLater: string } {
  const user = issuer.newUser();
  const session = randomUUID();
  const exp = soon();
  return {
    exp,
    shortLived: issuer.mint(user, { claims: { origin_jti: session, exp } }),
    refreshedLater: issuer.mint(user, { claims: { origin_jti: session } }),
  };
}

for (const kind of DATABASE_KINDS) {
  describe(`sessions through the backend on ${kind.name}`, requires(kind), () => {
    // A one-second skew lets a test outlive a token (and the polls read its revocation back).
    const { issuer, app } = issuerAndServer(kind, { env: { TRUST_PROXY: "1", COGNITO_CLOCK_SKEW_SECONDS: "1", COGNITO_SERVICE_CLIENT_IDS: "testservice1234567890abcd" } });

    /** Each test signs in from its own address, so brute-force counts never leak between tests. */
    let address = 1;
    const from = () => ({ "x-forwarded-for": `198.51.100.${address++}` });

    it("fake Cognito: login answers tokens with expires_in from the token's exp, and the token works", async () => {
      const user = issuer.addAccount("right-password");
      const res = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "right-password" }, headers: from() });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ["access_token", "expires_in", "id_token", "refresh_token", "token_type"]);
      const exp = claimsOf(res.body.access_token as string).exp as number;
      assert.ok(Math.abs((res.body.expires_in as number) - (exp - Date.now() / 1000)) <= 2);
      assert.equal((await app.get("/api/v1/me", res.body.access_token as string)).status, 200);
    });

    it("fake Cognito: a wrong password and an unknown user get the same 401 invalid_credentials", async () => {
      const user = issuer.addAccount("right-password");
      const wrong = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "wrong" }, headers: from() });
      const unknown = await app.request("POST", "/api/v1/auth/login", { body: { username: "nobody@example.org", password: "wrong" }, headers: from() });
      for (const res of [wrong, unknown]) {
        assert.equal(res.status, 401);
        assert.equal(res.body.code, "invalid_credentials");
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="api", error="invalid_token", error_description="invalid_credentials"');
      }
      assert.equal(wrong.body.detail, unknown.body.detail, "no user enumeration");
    });

    it("refuses a login body with missing or extra fields (400) before calling Cognito", async () => {
      const calls = issuer.cognitoCalls.length;
      const res = await app.request("POST", "/api/v1/auth/login", { body: { username: "a", password: "", extra: 1 }, headers: from() });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      assert.equal(issuer.cognitoCalls.length, calls);
    });

    it("fake Cognito: 5 failures per username and address, then 429 with Retry-After; other usernames still may try", async () => {
      const user = issuer.addAccount("right-password");
      const here = from();
      for (let i = 0; i < 5; i++) {
        assert.equal((await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: `bad-${i}` }, headers: here })).status, 401);
      }
      const blocked = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "right-password" }, headers: here });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.code, "rate_limited");
      const retryAfter = Number(blocked.headers.get("retry-after"));
      assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
      // Not a lock on the account: the same user from elsewhere, and others from here, go on.
      assert.equal((await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "right-password" }, headers: from() })).status, 200);
      const other = issuer.addAccount("pw");
      assert.equal((await app.request("POST", "/api/v1/auth/login", { body: { username: other.username, password: "pw" }, headers: here })).status, 200);
    });

    it("fake Cognito: 50 failures from one address block every username from it", async () => {
      const here = from();
      for (let i = 0; i < 50; i++) {
        await app.request("POST", "/api/v1/auth/login", { body: { username: `nobody-${i}@example.org`, password: "x" }, headers: here });
      }
      const user = issuer.addAccount("pw");
      assert.equal((await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: here })).status, 429);
    });

    it("fake Cognito: a challenge is answered through /api/v1/auth/challenge", async () => {
      const user = issuer.addAccount("pw", {}, "SOFTWARE_TOKEN_MFA");
      const first = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      assert.equal(first.status, 401);
      assert.equal(first.body.code, "challenge_required");
      assert.equal(first.body.challenge, "SOFTWARE_TOKEN_MFA");
      const answer = (code: string) =>
        app.request("POST", "/api/v1/auth/challenge", { body: { challenge: "SOFTWARE_TOKEN_MFA", session: first.body.session, username: user.username, responses: { SOFTWARE_TOKEN_MFA_CODE: code } }, headers: from() });
      const wrong = await answer("000000");
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.code, "invalid_credentials");
      const right = await answer("123456");
      assert.equal(right.status, 200, JSON.stringify(right.body));
      assert.equal((await app.get("/api/v1/me", right.body.access_token as string)).status, 200);
    });

    it("fake Cognito: a deactivated local user gets 403 account_disabled and no tokens; the refresh token is revoked", async () => {
      const user = issuer.addAccount("pw");
      const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
      const me = (await app.get("/api/v1/me", issuer.mint(user))).body as Json;
      assert.equal((await app.request("PATCH", `/api/v1/users/${me.uuid}`, { token: admin, body: { is_active: false } })).status, 200);
      const revokedBefore = issuer.revokedRefreshTokens.size;
      const login = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      assert.equal(login.status, 403);
      assert.equal(login.body.code, "account_disabled");
      assert.equal(login.body.access_token, undefined);
      assert.equal(issuer.revokedRefreshTokens.size, revokedBefore + 1);
    });

    it("fake Cognito: refresh answers new access and id tokens", async () => {
      const user = issuer.addAccount("pw");
      const login = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      const refreshed = await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token } });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.notEqual(refreshed.body.access_token, login.body.access_token);
      assert.equal((await app.get("/api/v1/me", refreshed.body.access_token as string)).status, 200);
      const bad = await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: "not-a-refresh-token" } });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.code, "invalid_credentials");
    });

    it("fake Cognito: logout revokes this session (origin_jti) at once, even for a cached token and its refreshed descendants", async () => {
      const user = issuer.addAccount("pw");
      const login = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      const other = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      const token = login.body.access_token as string;
      assert.equal((await app.get("/api/v1/me", token)).status, 200); // now in the verified-token cache
      const refreshed = await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token } });
      const out = await app.request("POST", "/api/v1/auth/logout", { body: { refresh_token: login.body.refresh_token }, token });
      assert.equal(out.status, 204);
      assert.ok(issuer.revokedRefreshTokens.has(login.body.refresh_token as string), "RevokeToken was called");
      assert.ok(issuer.cognitoCalls.includes("GlobalSignOut"));
      for (const t of [token, refreshed.body.access_token as string]) {
        const res = await app.get("/api/v1/me", t);
        assert.equal(res.status, 401);
        assert.equal(res.body.code, "token_revoked");
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="api", error="invalid_token", error_description="token_revoked"');
      }
      assert.equal((await app.get("/api/v1/me", other.body.access_token as string)).status, 200, "another session of the user is untouched");
    });

    it("a session signed out with a token about to expire stays signed out in its other tokens, after that token expires and once its row is read back", async () => {
      const { exp, shortLived, refreshedLater } = sessionAboutToExpire(issuer);
      assert.equal((await app.get("/api/v1/me", refreshedLater)).status, 200);
      assert.equal((await app.request("POST", "/api/v1/auth/logout", { token: shortLived })).status, 204);
      assert.equal((await app.get("/api/v1/me", refreshedLater)).status, 401);
      // The short-lived token is past exp + skew, and the polls have read the row back.
      await sleepUntil(pastExpiry(exp));
      const res = await app.get("/api/v1/me", refreshedLater);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "token_revoked");
    });

    it("fake Cognito: when Cognito's sign-out calls fail, the backend itself refuses the signed-out refresh token, after its access token expired too", async () => {
      const user = issuer.addAccount("pw");
      issuer.accessTokenSeconds = 1; // with the skew, valid for a little over a second: time to sign out
      const login = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      issuer.accessTokenSeconds = 3600;
      assert.equal(login.status, 200);
      issuer.signOutFails = true;
      try {
        const out = await app.request("POST", "/api/v1/auth/logout", { body: { refresh_token: login.body.refresh_token }, token: login.body.access_token as string });
        assert.equal(out.status, 204, "signed out here even though Cognito failed");
      } finally {
        issuer.signOutFails = false;
      }
      assert.ok(!issuer.revokedRefreshTokens.has(login.body.refresh_token as string), "Cognito never revoked it");
      await sleepUntil(pastExpiry(claimsOf(login.body.access_token as string).exp as number));
      const calls = issuer.cognitoCalls.length;
      const refreshed = await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token }, headers: from() });
      assert.equal(refreshed.status, 401, JSON.stringify(refreshed.body));
      assert.equal(refreshed.body.code, "token_revoked");
      assert.equal(refreshed.body.access_token, undefined);
      assert.equal(issuer.cognitoCalls.length, calls, "refused before Cognito was asked");
    });

    it("fake Cognito: 100 racing wrong passwords for one username from one address reach Cognito at most 5 times", async () => {
      const user = issuer.addAccount("right-password");
      const here = from();
      const before = issuer.cognitoCalls.length;
      issuer.cognitoDelayMs = 150;
      let answers: number[];
      try {
        answers = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: `guess-${i}` }, headers: here }).then((r) => r.status),
          ),
        );
      } finally {
        issuer.cognitoDelayMs = 0;
      }
      const reached = issuer.cognitoCalls.length - before;
      assert.ok(reached <= 5, `${reached} guesses reached Cognito`);
      assert.equal(answers.filter((s) => s === 401).length, reached);
      assert.equal(answers.filter((s) => s === 429).length, 100 - reached, `answers: ${[...new Set(answers)].join(",")}`);
      assert.equal((await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "right-password" }, headers: here })).status, 429);
    });

    it("a client behind TRUST_PROXY=1 cannot rotate its address: the entry the proxy appended is the one counted", async () => {
      const user = issuer.addAccount("pw");
      const seen = from()["x-forwarded-for"];
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const spoofed = { "x-forwarded-for": `10.9.${i}.1, ${seen}` };
        statuses.push((await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: `bad-${i}` }, headers: spoofed })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    });

    it("fake Cognito: failed refreshes are limited per address (60 a minute); others at that address keep refreshing until then", async () => {
      const user = issuer.addAccount("pw");
      const login = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      const sharedNat = from();
      const junk = await Promise.all(
        Array.from({ length: 30 }, (_, i) => app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: `junk-${i}` }, headers: sharedNat }).then((r) => r.status)),
      );
      assert.deepEqual([...new Set(junk)], [401]);
      assert.equal((await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token }, headers: sharedNat })).status, 200, "a valid refresh from a shared address");
      const more = await Promise.all(
        Array.from({ length: 40 }, (_, i) => app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: `more-junk-${i}` }, headers: sharedNat }).then((r) => r.status)),
      );
      assert.equal(more.filter((s) => s === 401).length, 30, "60 failures in all");
      assert.equal(more.filter((s) => s === 429).length, 10);
      const limited = await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token }, headers: sharedNat });
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      assert.equal((await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token }, headers: from() })).status, 200);
    });

    it("fake Cognito: one refresh token refreshes at most 10 times a minute, from any number of addresses", async () => {
      const user = issuer.addAccount("pw");
      const login = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: from() });
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token }, headers: from() })).status);
      assert.deepEqual(statuses, [...Array<number>(10).fill(200), 429]);
    });

    it("fake Cognito: an IPv6 client rotating addresses inside its /64 gets 5 guesses per username, not 5 per address", async () => {
      const user = issuer.addAccount("right-password");
      const statuses: number[] = [];
      for (let i = 1; i <= 8; i++) {
        const res = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: `guess-${i}` }, headers: { "x-forwarded-for": `2001:db8:feed:42::${i.toString(16)}` } });
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
      const sameSlash64 = await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "right-password" }, headers: { "x-forwarded-for": "2001:db8:feed:42:ffff::9" } });
      assert.equal(sameSlash64.status, 429, "the whole /64");
      assert.equal((await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "right-password" }, headers: { "x-forwarded-for": "2001:db8:feed:43::1" } })).status, 200, "another /64");
    });

    it("fake Cognito: a success on another account whose username differs only in case gives back its own attempt, not the victim's failures", async () => {
      // A case-sensitive pool holds "victim" and "VICTIM" as two accounts; the count folds case.
      const id = randomUUID().slice(0, 8);
      const victim = issuer.addAccount("victim-secret", { username: `victim-${id}@example.org` });
      const attacker = issuer.addAccount("attacker-pw", { username: `VICTIM-${id}@example.org` });
      const here = from();
      const guesses: number[] = [];
      const own: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 3; i++) guesses.push((await app.request("POST", "/api/v1/auth/login", { body: { username: victim.username, password: `guess-${round}-${i}` }, headers: here })).status);
        own.push((await app.request("POST", "/api/v1/auth/login", { body: { username: attacker.username, password: "attacker-pw" }, headers: here })).status);
      }
      assert.deepEqual(guesses, [401, 401, 401, 401, 401, 429, 429, 429, 429]);
      assert.deepEqual(own, [200, 429, 429], "the shared count holds the attacker back too");
    });

    it("logout revokes by jti when the token has no origin_jti (the emulator's tokens)", async () => {
      const user = issuer.newUser();
      const token = issuer.mint(user, { omit: ["origin_jti"] });
      assert.equal((await app.request("POST", "/api/v1/auth/logout", { token })).status, 204);
      assert.equal((await app.get("/api/v1/me", token)).status, 401);
      assert.equal((await app.get("/api/v1/me", issuer.mint(user, { omit: ["origin_jti"] }))).status, 200);
    });

    it("logout is allowed for a deactivated user and needs a valid token", async () => {
      assert.equal((await app.request("POST", "/api/v1/auth/logout")).status, 401);
      const user = issuer.newUser();
      const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
      const token = issuer.mint(user);
      const me = (await app.get("/api/v1/me", token)).body as Json;
      assert.equal((await app.request("PATCH", `/api/v1/users/${me.uuid}`, { token: admin, body: { is_active: false } })).status, 200);
      assert.equal((await app.get("/api/v1/me", token)).status, 403);
      assert.equal((await app.request("POST", "/api/v1/auth/logout", { body: {}, token })).status, 204);
    });

    it("fake Cognito: an administrator signs a user out everywhere: tokens authenticated before then are refused", async () => {
      const user = issuer.newUser();
      const early = issuer.mint(user);
      const me = (await app.get("/api/v1/me", early)).body as Json;
      const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
      const member = issuer.mint(issuer.newUser());
      assert.equal((await app.request("POST", `/api/v1/users/${me.uuid}/sign-out`, { token: member })).status, 403);
      const out = await app.request("POST", `/api/v1/users/${me.uuid}/sign-out`, { token: admin });
      assert.equal(out.status, 204);
      assert.ok(issuer.cognitoCalls.includes("AdminUserGlobalSignOut"));
      assert.equal((await app.get("/api/v1/me", early)).status, 401);
      // tokens_valid_after is rounded up to the second: a sign-in in that same second is refused too,
      // one in the next whole second is not. (The server's clock, as above.)
      await sleepUntil(Math.ceil(Date.now() / 1000) * 1000 + 20);
      assert.equal((await app.get("/api/v1/me", issuer.mint(user))).status, 200, "a later sign-in works");
      assert.equal((await app.request("POST", "/api/v1/users/00000000-0000-4000-8000-000000000000/sign-out", { token: admin })).status, 404);
    });

    it("fake Cognito: anyone signs themself out everywhere: every token of theirs is refused, nobody else's; a service is refused", async () => {
      const user = issuer.newUser();
      const [thisDevice, otherDevice] = [issuer.mint(user), issuer.mint(user)];
      const someoneElse = issuer.mint(issuer.newUser());
      assert.equal((await app.get("/api/v1/me", thisDevice)).status, 200);
      assert.equal((await app.get("/api/v1/me", someoneElse)).status, 200);
      const calls = issuer.cognitoCalls.filter((call) => call === "AdminUserGlobalSignOut").length;
      assert.equal((await app.request("POST", "/api/v1/me/sign-out", { token: thisDevice })).status, 204);
      assert.equal(issuer.cognitoCalls.filter((call) => call === "AdminUserGlobalSignOut").length, calls + 1, "Cognito's sign-out too");
      for (const token of [thisDevice, otherDevice]) {
        const refused = await app.get("/api/v1/me", token);
        assert.equal(refused.status, 401);
        assert.equal((refused.body as Json).code, "token_revoked");
      }
      assert.equal((await app.request("POST", "/api/v1/me/sign-out", { token: thisDevice })).status, 401, "a signed-out token cannot call it again");
      assert.equal((await app.get("/api/v1/me", someoneElse)).status, 200, "nobody else is signed out");
      const service = await app.request("POST", "/api/v1/me/sign-out", { token: issuer.mintService({ scopes: ["vrms-backend/permissions.read"] }) });
      assert.equal(service.status, 403);
      assert.equal((service.body as Json).code, "not_a_user");
      assert.equal((await app.request("POST", "/api/v1/me/sign-out")).status, 401);
    });
  });
}

describe("revocation across two instances on PostgreSQL", requires(postgres), () => {
  const ENV = { TRUST_PROXY: "1", COGNITO_CLOCK_SKEW_SECONDS: "1" };
  /** B shares A's database, and is restarted by some tests: closed before A drops that database. */
  let b: TestServer | undefined;
  after(() => b?.close());
  const issuer = issuerForDescribe();
  const a = serverForDescribe(issuer, postgres, { env: ENV });
  const restartB = async (): Promise<TestServer> => {
    await b?.close();
    b = await startTestServer(issuer, postgres, ENV, a.databaseUrl);
    return b;
  };
  before(restartB);
  const B = () => b!;

  it("a sign-out on A is refused on B within one second, and still after B restarts", async () => {
    const user = issuer.newUser();
    const token = issuer.mint(user);
    assert.equal((await B().get("/api/v1/me", token)).status, 200); // cached on B
    assert.equal((await a.request("POST", "/api/v1/auth/logout", { token })).status, 204);
    const started = Date.now();
    await until(async () => (await B().get("/api/v1/me", token)).status === 401, 1500, "B to refuse the token", 20);
    assert.ok(Date.now() - started <= 1000, `refused on B after ${Date.now() - started} ms`);
    assert.equal((await (await restartB()).get("/api/v1/me", token)).status, 401, "still refused after a restart");
  });

  it("a session signed out on A with a token about to expire stays refused on B after that token expires, and on B restarted", async () => {
    const { exp, shortLived, refreshedLater } = sessionAboutToExpire(issuer);
    assert.equal((await B().get("/api/v1/me", refreshedLater)).status, 200);
    assert.equal((await a.request("POST", "/api/v1/auth/logout", { token: shortLived })).status, 204);
    await sleepUntil(pastExpiry(exp));
    assert.equal((await (await restartB()).get("/api/v1/me", refreshedLater)).status, 401, "a restarted instance loads the revocation");
  });

  it("fake Cognito: 100 racing wrong passwords spread over two instances reach Cognito at most 5 times", async () => {
    const user = issuer.addAccount("pw");
    const here = { "x-forwarded-for": "203.0.113.78" };
    const before = issuer.cognitoCalls.length;
    issuer.cognitoDelayMs = 150;
    try {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 ? a : B()).request("POST", "/api/v1/auth/login", { body: { username: user.username, password: `guess-${i}` }, headers: here }).then((r) => r.status),
        ),
      );
      assert.deepEqual([...new Set(answers)].sort(), [401, 429]);
    } finally {
      issuer.cognitoDelayMs = 0;
    }
    const reached = issuer.cognitoCalls.length - before;
    assert.ok(reached <= 5, `${reached} guesses reached Cognito`);
  });

  it("a refresh token signed out on A is refused on B, whatever Cognito says", async () => {
    const user = issuer.addAccount("pw");
    const login = await a.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: { "x-forwarded-for": "203.0.113.79" } });
    issuer.signOutFails = true;
    try {
      assert.equal((await a.request("POST", "/api/v1/auth/logout", { body: { refresh_token: login.body.refresh_token }, token: login.body.access_token as string })).status, 204);
    } finally {
      issuer.signOutFails = false;
    }
    const refreshed = await B().request("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token } });
    assert.equal(refreshed.status, 401);
    assert.equal(refreshed.body.code, "token_revoked");
  });

  it("keeps refusing within one second after B's database connections are cut, and /readyz stays ok", async () => {
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: a.databaseUrl });
    await admin.connect();
    try {
      // Every connection of both instances' pools, as a pooler's restart or a failover would.
      const { rowCount } = await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      );
      assert.ok((rowCount ?? 0) >= 1, "connections were cut");
      const token = issuer.mint(issuer.newUser());
      await until(async () => (await B().get("/api/v1/me", token)).status === 200, 3000, "B to answer again", 50);
      assert.equal(((await B().get("/readyz")).body as { checks: Record<string, string> }).checks.revocations, "ok");
      assert.equal((await a.request("POST", "/api/v1/auth/logout", { token })).status, 204);
      const started = Date.now();
      await until(async () => (await B().get("/api/v1/me", token)).status === 401, 1100, "B to refuse the token", 20);
      assert.ok(Date.now() - started <= 1000, `refused on B after ${Date.now() - started} ms`);
    } finally {
      await admin.end();
    }
  });

  it("shares the brute-force count between instances", async () => {
    const user = issuer.addAccount("pw");
    const here = { "x-forwarded-for": "203.0.113.77" };
    for (let i = 0; i < 5; i++) {
      const app = i % 2 ? a : B();
      assert.equal((await app.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "bad" }, headers: here })).status, 401);
    }
    assert.equal((await a.request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: here })).status, 429);
    assert.equal((await B().request("POST", "/api/v1/auth/login", { body: { username: user.username, password: "pw" }, headers: here })).status, 429);
    // The shared count is keyed by an HMAC under the deployment's secret: a copy of the table does
    // not give the address back to whoever hashes every IPv4 address.
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: a.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ key: string }>("select key from login_failures");
      assert.ok(rows.some((r) => r.key.startsWith("a:")), "the address's count is there");
      const unkeyed = `a:${createHash("sha256").update("203.0.113.77").digest("base64url")}`;
      assert.ok(!rows.some((r) => r.key === unkeyed), "the address is stored as plain sha256(address)");
    } finally {
      await client.end();
    }
  });
});

describe("an instance restarted while PostgreSQL is down", requires(postgres), () => {
  it("never accepts a signed-out session: 503 until its revocations are read, then 401", async () => {
    const issuer = await new TestIssuer().start();
    const a = await startTestServer(issuer, postgres, {});
    const real = new URL(a.databaseUrl!);
    const proxy = new TcpProxy(await freePort(), { host: real.hostname, port: Number(real.port || 5432) });
    let b: TestServer | undefined;
    try {
      const token = issuer.mint(issuer.newUser());
      assert.equal((await a.get("/api/v1/me", token)).status, 200);
      assert.equal((await a.request("POST", "/api/v1/auth/logout", { token })).status, 204);
      // B starts with its path to PostgreSQL cut: migrations and the revocation read both fail and
      // are retried on their own clocks; the database comes back between them.
      const proxied = new URL(real);
      proxied.port = String(proxy.port);
      b = await startTestServer(issuer, postgres, {}, proxied.toString());
      const failures = () => (b!.logs().match(/database not ready; migrations will be retried/g) ?? []).length;
      await until(() => failures() >= 3, 15_000, "three failed migration attempts");
      await sleep(1800);
      await proxy.up();
      const seen: number[] = [];
      const started = Date.now();
      while (Date.now() - started < 8000) {
        const status = (await b.get("/api/v1/me", token)).status;
        if (seen.at(-1) !== status) seen.push(status);
        if (status === 401) break;
        await sleep(5);
      }
      assert.deepEqual(seen.filter((s) => s !== 503), [401], `answers: ${seen.join(" > ")}`);
    } finally {
      await b?.close();
      await proxy.cut();
      await a.close();
      await issuer.stop();
    }
  });
});
