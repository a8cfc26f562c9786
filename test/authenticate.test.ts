// The authenticate hook's own failure path: a bug after an asynchronous verification (here a
// revocation check that throws) answers that request with a 500 problem and the process lives on.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { KeyStore } from "../src/auth/jwks-cache.ts";
import { authenticate } from "../src/auth/authenticate.ts";
import { createTokenVerifier } from "../src/auth/verifier.ts";
import { loadConfig } from "../src/config.ts";
import { answerError } from "../src/http/errors.ts";
import { TestIssuer } from "../support/issuer.ts";

describe("authenticate onRequest hook", () => {
  const issuer = new TestIssuer();
  let app: FastifyInstance;

  before(async () => {
    await issuer.start();
    const { cognito } = loadConfig({ ...issuer.env(), PORT: "0" });
    // Not started: the first token's key is fetched on demand, so its verdict is a promise.
    const keys = new KeyStore({ jwksUri: cognito.jwksUri, timeoutMs: 2000, penaltySeconds: 0, refreshSeconds: 300, rejectEmulatorKey: false });
    app = Fastify();
    app.setErrorHandler(answerError);
    const revocations = {
      loaded: true,
      isRevoked: () => {
        throw new Error("a bug in the revocation check");
      },
    };
    app.get("/", { onRequest: authenticate({ verifier: createTokenVerifier(cognito, keys), revocations }) }, async () => ({ ok: true }));
    await app.ready();
  });
  after(async () => {
    await app.close();
    await issuer.stop();
  });

  it("answers a bug after an asynchronous verification with a 500 problem, not an unhandled rejection", { timeout: 10_000 }, async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      const res = await app.inject({ url: "/", headers: { authorization: `Bearer ${issuer.mint(issuer.newUser())}` } });
      assert.equal(res.statusCode, 500);
      assert.equal(res.json<{ code: string }>().code, "internal_error");
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", record);
    }
  });
});
