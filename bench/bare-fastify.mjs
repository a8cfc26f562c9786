// The yardstick of case A: a bare Fastify app (the same fastify package as the server, default
// options, no logger, no hooks) answering /healthz as the server does. Plain JavaScript run by
// plain node, as `npm run serve` runs the server's bundle, so that only the app differs.
// Case R's /verified is the same answer after one RSA-2048 check of the bearer token's signature
// (node:crypto one-shot, as the server checks it): R − F is what that check costs inside a
// server, where the code between two checks has been through the caches, not in a loop.
import { createPublicKey, verify } from "node:crypto";
import Fastify from "fastify";

const key = createPublicKey({ key: JSON.parse(process.env.BENCH_JWK ?? "{}"), format: "jwk" });
const app = Fastify();
app.get("/healthz", async () => ({ status: "ok" }));
app.get("/verified", async (request, reply) => {
  const token = (request.headers.authorization ?? "").slice("Bearer ".length);
  const dot = token.lastIndexOf(".");
  const valid = verify("sha256", Buffer.from(token.slice(0, dot), "latin1"), key, Buffer.from(token.slice(dot + 1), "base64url"));
  return valid ? { status: "ok" } : reply.code(401).send({ status: "invalid" });
});
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
