// The yardstick of case A: a bare Fastify app (the same fastify package as the server, default
// options, no logger, no hooks) answering /healthz as the server does. Plain JavaScript run by
// plain node, as `npm run serve` runs the server's bundle, so that only the app differs.
import Fastify from "fastify";

const app = Fastify();
app.get("/healthz", async () => ({ status: "ok" }));
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
