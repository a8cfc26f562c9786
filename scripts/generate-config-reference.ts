// npm run config:docs: writes docs/configuration.md from src/config-reference.ts.
import { writeFileSync } from "node:fs";
import { configReferenceMarkdown } from "../src/config-reference-markdown.ts";

writeFileSync(new URL("../docs/configuration.md", import.meta.url), configReferenceMarkdown());
console.log("wrote docs/configuration.md");
