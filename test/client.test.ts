// The typed client (packages/client): generated from the OpenAPI document the server serves, and a
// package that builds, packs, installs and type-checks on its own, versioned and licensed as the API.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CLIENT_SCHEMA_FILE, clientSchemaSource } from "../scripts/client-schema.ts";
import { openApiDocument } from "../src/openapi-document.ts";
import { pglite } from "./support/databases.ts";
import { issuerAndServer } from "./support/server.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLIENT_DIR = path.join(ROOT, "packages/client");

describe("the typed client", () => {
  const { app } = issuerAndServer(pglite, { env: { LOG_LEVEL: "warn" } });
  let served: Record<string, unknown>;

  before(async () => {
    const res = await app.get("/api/schema/");
    assert.equal(res.status, 200);
    served = res.body;
  });

  it("is generated from the document the server serves: the committed one is current (else: npm run client:generate)", async () => {
    const committed = await readFile(CLIENT_SCHEMA_FILE, "utf8");
    const current = await clientSchemaSource(served);
    assert.ok(committed === current, "packages/client/src/schema.ts is stale against /api/schema/: run `npm run client:generate` and commit it");
  });

  it("the generator's in-process document is the served one", async () => {
    const { servers: _a, ...built } = await openApiDocument();
    const { servers: _b, ...fromServer } = served;
    assert.deepEqual(built, fromServer);
  });

  it("is a workspace of the project, with the API's version and licence, a README and a default export", async () => {
    const root = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    const client = JSON.parse(await readFile(path.join(CLIENT_DIR, "package.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(root.workspaces, ["packages/client"]);
    // Tied: a client generated from the API at version X is published as X.
    assert.equal(client.version, root.version, "packages/client's version is the root package.json's");
    assert.equal(client.license, root.license);
    const exports = (client.exports as Record<string, Record<string, string>>)["."]!;
    assert.equal(exports.default, "./dist/index.js");
    assert.deepEqual(Object.keys(exports).at(-1), "default", "default comes last, as Node.js requires");
    const readme = await readFile(path.join(CLIENT_DIR, "README.md"), "utf8");
    for (const part of ["npm install", "createVrmsClient", "api.GET(", "error.code"]) assert.ok(readme.includes(part), `the README shows ${part}`);
  });

  describe("as a package", () => {
    let scratch: string;
    before(async () => {
      scratch = await mkdtemp(path.join(os.tmpdir(), "vrms-client-"));
    });
    after(() => rm(scratch, { recursive: true, force: true }));

    it("npm pack yields a tarball that installs and type-checks in a project of its own", { timeout: 180_000 }, async () => {
      // prepack builds dist/ with the package's own tsconfig.
      await run("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: CLIENT_DIR });
      const tarball = (await readdir(scratch)).find((name) => name.endsWith(".tgz"));
      assert.ok(tarball, "npm pack wrote no tarball");
      const listed = (await run("tar", ["-tzf", path.join(scratch, tarball)])).stdout.split("\n");
      for (const file of ["package/LICENSE", "package/README.md", "package/dist/index.js", "package/dist/index.d.ts"]) assert.ok(listed.includes(file), `the tarball holds ${file}`);
      assert.equal(
        await readFile(path.join(CLIENT_DIR, "LICENSE"), "utf8"),
        await readFile(path.join(ROOT, "LICENSE"), "utf8"),
        "the package carries the project's licence",
      );
      const app = path.join(scratch, "app");
      await run("mkdir", ["-p", app]);
      await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }));
      // Only the npm registry is reachable, and openapi-fetch is in npm's cache already.
      await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent", path.join(scratch, tarball)], { cwd: app });
      await writeFile(
        path.join(app, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2022", "DOM"], types: [], strict: true, noEmit: true }, include: ["app.ts"] }),
      );
      await writeFile(
        path.join(app, "app.ts"),
        `import { createVrmsClient, type Profile } from "vrms-backend-client";
const api = createVrmsClient({ baseUrl: "http://localhost:8000", accessToken: async () => "token" });
const { data, error } = await api.GET("/api/v1/me");
const email: string | null | undefined = data?.email;
const admin: boolean | undefined = data?.is_admin;
const code: string | undefined = error?.code;
const profile: Profile | undefined = data;
// @ts-expect-error: not a route of the API
await api.GET("/api/v1/nowhere");
// @ts-expect-error: texting_ok is a boolean
await api.PATCH("/api/v1/me", { body: { texting_ok: "yes" } });
const patched = await api.PATCH("/api/v1/me", { body: { first_name: "Ada" } });
// The codes the route declares: validation_failed is one, conflict is not.
if (patched.error?.code === "validation_failed") console.log(patched.error.errors);
// @ts-expect-error: PATCH /api/v1/me never answers conflict
if (patched.error?.code === "conflict") console.log("never");
export { email, admin, code, profile };
`,
      );
      const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
      const checked = await run(process.execPath, [tsc, "-p", app]).then(
        () => "",
        (err: { stdout?: string }) => err.stdout ?? String(err),
      );
      assert.equal(checked, "", "the scratch project type-checks");
    });
  });
});
