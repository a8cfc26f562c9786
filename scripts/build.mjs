// npm run build: the production layout, everything `node dist/main.js` reads at run time under dist/
// (the server, the CLI and the migrate command bundled; the migrations; the /admin page), so that a
// container or a read-only directory needs only dist/, package.json and production dependencies.
// `--admin-only` bundles just the /admin page's script, for npm start and npm test.
import { cp, mkdir, readFile, rm } from "node:fs/promises";
import * as esbuild from "esbuild";

const adminOnly = process.argv.includes("--admin-only");
const manifest = JSON.parse(await readFile("package.json", "utf8"));
// Every package stays a run-time import except drizzle-orm, which is bundled: Node 24 reads its
// 178 kB package.json again for each of its modules it resolves, 0.45 s of every start of the CLI
// or the server (0.13 s on Node 20); bundled, none (a CLI command went from 0.60 s to 0.19 s).
const external = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies ?? {})].filter((name) => name !== "drizzle-orm");

async function buildAdmin() {
  await esbuild.build({
    entryPoints: ["src/admin/page/app.ts"],
    bundle: true,
    format: "iife",
    target: "es2022",
    minify: true,
    outfile: "dist/admin/app.js",
    logLevel: "warning",
  });
}

if (adminOnly) {
  await buildAdmin();
} else {
  await rm("dist", { recursive: true, force: true });
  const { metafile } = await esbuild.build({
    entryPoints: ["src/main.ts", "src/cli.ts", "src/migrate.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    external,
    splitting: true,
    sourcemap: true,
    outdir: "dist",
    banner: { js: "// vrms-backend " + manifest.version + " (built by npm run build)" },
    logLevel: "warning",
    metafile: true,
  });
  // A package imported by src/ but missing from package.json would be bundled without a word:
  // only drizzle-orm may be.
  const bundled = [...new Set(Object.keys(metafile.inputs).filter((input) => input.includes("node_modules/")).map((input) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(input)[1]))];
  const unexpected = bundled.filter((name) => name !== "drizzle-orm");
  if (unexpected.length > 0) throw new Error(`bundled, but not listed in package.json: ${unexpected.join(", ")}`);
  await buildAdmin();
  await mkdir("dist/admin", { recursive: true });
  await cp("src/admin/page/index.html", "dist/admin/index.html");
  await cp("src/admin/page/app.css", "dist/admin/app.css");
  await cp("src/db/migrations", "dist/migrations", { recursive: true });
}
