// docs/configuration.md as it must read: the reference's table, written the one way.
import { CONFIG_NOTES, CONFIG_REFERENCE } from "./config-reference.ts";

export function configReferenceMarkdown(): string {
  const rows = CONFIG_REFERENCE.map((v) => `| ${v.names.map((n) => `\`${n}\``).join(", ")} | ${v.default} | ${v.meaning} |`);
  return [
    "# Configuration (environment)",
    "",
    "<!-- Written by `npm run config:docs` from src/config-reference.ts; a test fails when this file differs. -->",
    "Everything the server, `npm start` and the CLI read from the environment; `src/config.ts` is the only reader.",
    "",
    "| variable | default | meaning |",
    "| --- | --- | --- |",
    ...rows,
    "",
    CONFIG_NOTES,
    "",
  ].join("\n");
}
