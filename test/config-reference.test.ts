// The configuration reference is the code's: docs/configuration.md is what the reference writes,
// and every variable src/config.ts reads is in the reference (and nothing else is).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CONFIG_REFERENCE } from "../src/config-reference.ts";
import { configReferenceMarkdown } from "../src/config-reference-markdown.ts";

const source = readFileSync(new URL("../src/config.ts", import.meta.url), "utf8");

/** The variables config.ts reads: by its helpers (`text(env, "X")`, …) or by name (`env.X`). */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const match of source.matchAll(/\(env, "([A-Z][A-Z0-9_]*)"/g)) names.add(match[1]!);
  for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(match[1]!);
  return names;
}

describe("the configuration reference", () => {
  it("describes every variable config.ts reads, and only those", () => {
    const read = variablesRead();
    assert.ok(read.size > 30, `found ${read.size} variables read: the pattern no longer matches config.ts`);
    const described = new Set(CONFIG_REFERENCE.flatMap((v) => v.names));
    assert.deepEqual([...read].filter((n) => !described.has(n)).sort(), [], "read by config.ts, missing from src/config-reference.ts");
    assert.deepEqual([...described].filter((n) => !read.has(n)).sort(), [], "in src/config-reference.ts, read by nobody");
  });

  it("is what docs/configuration.md says (npm run config:docs writes it)", () => {
    assert.equal(readFileSync(new URL("../docs/configuration.md", import.meta.url), "utf8"), configReferenceMarkdown());
  });
});
