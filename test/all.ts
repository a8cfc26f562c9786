// Every test file in one process. `node --test` gives each file a process of its own, and starting
// one (Node, tsx, the server's modules, PGlite's WebAssembly) costs one to two seconds: with
// twenty-odd files, a fifth of the suite. Run one file as before: node --import tsx --test test/x.test.ts
// TEST_FILES=a,b (names without .test.ts) runs only those, in one process.
import { readdirSync } from "node:fs";

const only = process.env.TEST_FILES?.split(",").map((name) => `${name.trim()}.test.ts`);
const here = new URL(".", import.meta.url);
const files = readdirSync(here)
  .filter((name) => name.endsWith(".test.ts") && (!only || only.includes(name)))
  .sort();
if (only && files.length !== only.length) throw new Error(`TEST_FILES names a file that does not exist: ${only.join(", ")}`);
for (const name of files) await import(new URL(name, here).href);
