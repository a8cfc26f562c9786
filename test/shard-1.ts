// Shard 1 of 2 of the test files: npm test runs both shards at once, one process each, on two cores.
import { runTestFiles } from "./support/run-files.ts";

await runTestFiles(0, 2);
