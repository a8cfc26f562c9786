// Every test file in one process. `node --test` gives each file a process of its own, and starting
// one (Node, tsx, the server's modules, PGlite's WebAssembly) costs one to two seconds: with
// twenty-odd files, a fifth of the suite. Run one file as before: node --import tsx --test test/x.test.ts
// TEST_FILES=a,b (names without .test.ts) runs only those, in one process.
import { runTestFiles } from "./support/run-files.ts";

await runTestFiles();
